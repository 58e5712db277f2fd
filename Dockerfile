# syntax=docker/dockerfile:1
# One build, one image per service: docker-compose builds each service's target (ingest-api, qa-worker,
# crawler-worker, breaker-state, topics); they share the build stage, so Maven runs once.
#   docker build --target qa-worker -t breakwater/qa-worker .

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
# The wrapper and the poms first: dependencies are downloaded once and cached until a pom changes.
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY embedded/pom.xml embedded/
COPY testkit/pom.xml testkit/
COPY core/pom.xml core/
COPY ingest-api/pom.xml ingest-api/
COPY qa-worker/pom.xml qa-worker/
COPY breaker-state/pom.xml breaker-state/
COPY crawler-worker/pom.xml crawler-worker/
COPY bench/pom.xml bench/
COPY launcher/pom.xml launcher/
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -pl launcher -am dependency:go-offline -DskipTests || true
COPY . .
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -pl launcher -am package -DskipTests -DskipITs \
    && mkdir /app && cp launcher/target/breakwater.jar /app/ && cp -r launcher/target/lib /app/lib

FROM eclipse-temurin:17-jre AS runtime
RUN groupadd --system breakwater && useradd --system --gid breakwater --home-dir /app breakwater \
    && mkdir -p /app/data && chown breakwater:breakwater /app/data
WORKDIR /app
COPY --from=build /app /app
USER breakwater
# Containers get a share of the host's memory, not all of it; SIGTERM stops a service cleanly.
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    BW_DATA_DIR=/app/data
ENTRYPOINT ["java", "-jar", "/app/breakwater.jar"]
CMD ["--help"]

FROM runtime AS topics
CMD ["topics"]

FROM runtime AS ingest-api
EXPOSE 8080
CMD ["ingest-api"]

FROM runtime AS qa-worker
EXPOSE 9401
CMD ["qa-worker"]

FROM runtime AS crawler-worker
EXPOSE 9402
CMD ["crawler-worker"]

FROM runtime AS breaker-state
EXPOSE 9403
CMD ["breaker-state"]
