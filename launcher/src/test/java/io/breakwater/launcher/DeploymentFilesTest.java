package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.metrics.ProcessMetrics;
import io.breakwater.core.topic.Topics;
import io.breakwater.crawler.CrawlerSettings;
import io.breakwater.crawler.CrawlerWorkerSettings;
import io.breakwater.ingest.ApiSettings;
import io.breakwater.qa.LlmSettings;
import io.breakwater.qa.QaWorkerSettings;
import io.breakwater.state.BreakerStateSettings;

/**
 * docker-compose.yml, the Dockerfile and the Prometheus and Grafana files cannot run here (no Docker), so they are
 * checked against the code instead: every service, image, command, port, setting and metric they name must be real
 * and agree with each other. Where {@code docker-compose} (or {@code docker compose}) is installed, its own
 * validation runs too.
 */
class DeploymentFilesTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Z_]+)(?::?-([^}]*))?}");
    private static final Pattern STAGE = Pattern.compile("(?m)^FROM\\s+\\S+\\s+AS\\s+(\\S+)\\s*$");
    private static final Set<String> BREAKWATER_SERVICES = Set.of("ingest-api", "qa-worker", "crawler-worker",
            "breaker-state");

    private static Path root;
    private static JsonNode compose;
    private static JsonNode services;
    private static Map<String, String> stageCommands;
    private static Map<String, Set<Integer>> stageExposes;

    @BeforeAll
    static void read() throws IOException {
        root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docker-compose.yml"))) {
            root = root.getParent();
            assertThat(root).as("docker-compose.yml in a parent of the working directory").isNotNull();
        }
        // SnakeYAML resolves anchors and merge keys (<<: *anchor) as Compose does; Jackson's reader does not.
        Object document = new org.yaml.snakeyaml.Yaml().load(Files.readString(root.resolve("docker-compose.yml")));
        compose = YAML.valueToTree(document);
        services = compose.get("services");
        readDockerfile(Files.readString(root.resolve("Dockerfile")));
    }

    @Test
    void shouldBuildEachBreakwaterServiceFromATargetOfTheDockerfileThatRunsARealCommand() {
        Set<String> commands = launcherCommands();
        for (String service : names(services)) {
            JsonNode definition = services.get(service);
            JsonNode build = definition.get("build");
            if (build == null) {
                continue;
            }
            String target = build.get("target").asText();
            assertThat(build.get("context").asText()).as(service + "'s build context").isEqualTo(".");
            assertThat(stageCommands).as("Dockerfile stages").containsKey(target);
            assertThat(commands).as("the command of Dockerfile stage " + target).contains(stageCommands.get(target));
            assertThat(definition.get("image").asText()).as(service + "'s image").isEqualTo("breakwater/" + target + ":local");
        }
        assertThat(names(services)).containsAll(BREAKWATER_SERVICES).contains("topics");
        for (String service : BREAKWATER_SERVICES) {
            assertThat(services.get(service).get("build").get("target").asText()).isEqualTo(service);
        }
        assertThat(services.get("qa-worker").get("deploy").get("replicas").asInt()).as("QA worker replicas").isEqualTo(2);
    }

    @Test
    void shouldPinEveryOtherImageAndRunTheSameKafkaAsTheTests() throws IOException {
        for (String service : names(services)) {
            JsonNode definition = services.get(service);
            if (definition.has("build")) {
                continue;
            }
            String image = definition.get("image").asText();
            assertThat(image).as(service + "'s image names a version").matches("[a-z0-9./-]+:[A-Za-z0-9._-]+")
                    .doesNotEndWith(":latest");
        }
        String kafkaVersion = property(Files.readString(root.resolve("pom.xml")), "kafka.version");
        assertThat(services.get("kafka").get("image").asText()).isEqualTo("apache/kafka:" + kafkaVersion);
        assertThat(services.get("ollama").get("profiles").toString()).contains("ollama");
        assertThat(services.get("ollama-pull").get("profiles").toString()).contains("ollama");
    }

    @Test
    void shouldPointEveryServiceAtTheComposeKafkaAndMongo() {
        JsonNode kafka = services.get("kafka").get("environment");
        assertThat(kafka.get("KAFKA_PROCESS_ROLES").asText()).as("KRaft, one node").isEqualTo("broker,controller");
        // The image formats its storage with this id at first start: it must be one Kafka accepts.
        org.apache.kafka.common.Uuid.fromString(kafka.get("CLUSTER_ID").asText());
        assertThat(mounts("kafka")).containsKey(kafka.get("KAFKA_LOG_DIRS").asText());
        List<String> advertised = List.of(kafka.get("KAFKA_ADVERTISED_LISTENERS").asText().split(","));
        for (String service : withBreakwaterSettings()) {
            Map<String, String> environment = environment(service);
            String bootstrap = environment.get("BW_KAFKA_BOOTSTRAP");
            assertThat(advertised).as(service + "'s BW_KAFKA_BOOTSTRAP is a listener Kafka advertises")
                    .anySatisfy(listener -> assertThat(listener).endsWith("//" + bootstrap));
            assertThat(names(services)).contains(bootstrap.substring(0, bootstrap.indexOf(':')));
            if (!service.equals("topics")) {
                String mongo = environment.get("BW_MONGO_URI");
                assertThat(mongo).as(service + "'s BW_MONGO_URI").startsWith("mongodb://mongo:27017");
                assertThat(dependsOn(service)).as(service + " waits for").contains("kafka", "mongo", "topics");
            }
        }
    }

    @Test
    void shouldNameOnlyDocumentedSettingsWithValuesTheServicesAccept() throws IOException {
        Set<String> documented = new TreeSet<>();
        Matcher variable = Pattern.compile("`(BW_[A-Z0-9_]+)").matcher(Files.readString(root.resolve("README.md")));
        while (variable.find()) {
            documented.add(variable.group(1));
        }
        for (String service : withBreakwaterSettings()) {
            Map<String, String> environment = environment(service);
            environment.keySet().stream().filter(name -> name.startsWith(Settings.VARIABLE_PREFIX)).forEach(name ->
                    assertThat(documented).as(service + " sets " + name + ", which the README must document")
                            .contains(name));
            // Each service reads its settings as it would at start: a wrong value fails here, not in a container.
            Settings settings = Settings.load(environment);
            KafkaSettings.from(settings);
            Topics.from(settings);
            switch (service) {
                case "ingest-api" -> ApiSettings.from(settings);
                case "qa-worker" -> {
                    QaWorkerSettings.from(settings);
                    LlmSettings.from(settings);
                }
                case "crawler-worker" -> {
                    CrawlerWorkerSettings.from(settings);
                    CrawlerSettings.from(settings);
                }
                case "breaker-state" -> BreakerStateSettings.from(settings);
                default -> {
                }
            }
            if (!service.equals("topics")) {
                MongoSettings.from(settings);
            }
        }
        assertThat(environment("qa-worker").get("BW_LLM_URL")).as("the offline answerer by default").isEmpty();
        assertThat(Topics.from(Settings.load(environment("topics"))).questions().spec().replicationFactor())
                .as("one broker, one copy by default").isEqualTo((short) 1);
    }

    @Test
    void shouldServeMetricsWherePrometheusScrapesAndPublishThePortsTheServicesListenOn() throws IOException {
        Map<String, Integer> metricsPorts = new HashMap<>();
        metricsPorts.put("ingest-api", Integer.parseInt(environment("ingest-api").get("BW_API_PORT")));
        for (String service : List.of("qa-worker", "crawler-worker", "breaker-state")) {
            metricsPorts.put(service, Integer.parseInt(environment(service).get("BW_METRICS_PORT")));
        }
        metricsPorts.forEach((service, port) -> assertThat(stageExposes.get(service))
                .as("the Dockerfile's EXPOSE for " + service).contains(port));
        assertThat(ports("ingest-api")).as("the API's published port").contains(metricsPorts.get("ingest-api") + ":"
                + metricsPorts.get("ingest-api"));

        JsonNode prometheus = YAML.readTree(root.resolve("deploy/prometheus/prometheus.yml").toFile());
        Map<String, Integer> scraped = new LinkedHashMap<>();
        for (JsonNode job : prometheus.get("scrape_configs")) {
            assertThat(job.path("honor_labels").asBoolean()).as("keeps the services' instance label").isTrue();
            for (JsonNode config : job.path("static_configs")) {
                for (JsonNode target : config.get("targets")) {
                    String[] hostPort = target.asText().split(":");
                    scraped.put(hostPort[0], Integer.parseInt(hostPort[1]));
                }
            }
            for (JsonNode config : job.path("dns_sd_configs")) {
                for (JsonNode name : config.get("names")) {
                    scraped.put(name.asText(), config.get("port").asInt());
                }
            }
        }
        assertThat(scraped).as("Prometheus scrapes each service on its metrics port").isEqualTo(metricsPorts);
        String ruleFile = prometheus.get("rule_files").get(0).asText();
        assertThat(mounts("prometheus")).containsEntry(ruleFile, "./deploy/prometheus/alerts.yml")
                .containsEntry("/etc/prometheus/prometheus.yml", "./deploy/prometheus/prometheus.yml");
    }

    @Test
    void shouldMountFilesThatExistAndDeclareEveryNamedVolume() {
        Set<String> declared = names(compose.get("volumes"));
        for (String service : names(services)) {
            mounts(service).forEach((target, source) -> {
                if (source.startsWith("./")) {
                    assertThat(root.resolve(source)).as(service + " mounts " + source).exists();
                } else {
                    assertThat(declared).as(service + "'s volume " + source).contains(source);
                }
            });
            dependsOn(service).forEach(dependency -> assertThat(names(services)).as(service + " depends on").contains(dependency));
        }
    }

    @Test
    void shouldChartAndAlertOnlyOnMetricsTheServicesExport() throws IOException {
        Set<String> exported = exportedMetricNames();
        JsonNode dashboard = new ObjectMapper().readTree(root.resolve("deploy/grafana/dashboards/breakwater.json").toFile());
        List<String> expressions = new ArrayList<>();
        dashboard.findValues("expr").forEach(expr -> expressions.add(expr.asText()));
        JsonNode alerts = YAML.readTree(root.resolve("deploy/prometheus/alerts.yml").toFile());
        alerts.findValues("expr").forEach(expr -> expressions.add(expr.asText()));
        assertThat(expressions).hasSizeGreaterThan(10);
        Pattern metric = Pattern.compile("\\b((?:breakwater|jvm)_[a-z_]+)");
        Set<String> used = new TreeSet<>();
        for (String expression : expressions) {
            Matcher matcher = metric.matcher(expression);
            while (matcher.find()) {
                used.add(matcher.group(1));
            }
        }
        assertThat(used).as("metrics the dashboard and alerts use").isNotEmpty();
        assertThat(exported).as("metrics the services export").containsAll(used);
        assertThat(dashboard.get("uid").asText()).isEqualTo("breakwater");
        JsonNode datasource = YAML.readTree(root.resolve("deploy/grafana/provisioning/datasources/prometheus.yml").toFile());
        assertThat(datasource.get("datasources").get(0).get("uid").asText()).isEqualTo("prometheus");
        assertThat(datasource.get("datasources").get(0).get("url").asText()).isEqualTo("http://prometheus:9090");
    }

    @Test
    void shouldPassDockerComposesOwnValidationWhereItIsInstalled() throws Exception {
        Optional<List<String>> composeCommand = Stream.of(List.of("docker-compose"), List.of("docker", "compose"))
                .filter(DeploymentFilesTest::runs).findFirst();
        assumeThat(composeCommand).as("docker-compose or the docker compose plugin is not installed here;"
                + " the other checks in this class still ran").isPresent();
        for (List<String> profile : List.of(List.<String>of(), List.of("--profile", "ollama"))) {
            List<String> command = new ArrayList<>(composeCommand.get());
            command.addAll(profile);
            command.addAll(List.of("-f", root.resolve("docker-compose.yml").toString(), "config", "-q"));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as(String.join(" ", command) + " said: " + output).isZero();
        }
    }

    /** Every metric name the code registers (with the suffixes Prometheus adds), and the JVM's from a scrape. */
    private static Set<String> exportedMetricNames() throws IOException {
        Set<String> names = new HashSet<>();
        Pattern registered = Pattern.compile("\\b(Counter|CounterWithCallback|Gauge|GaugeWithCallback|Histogram)"
                + "\\.builder\\(\\)\\s*\\.name\\(\"(breakwater_[a-z_]+)\"\\)");
        try (Stream<Path> sources = Files.walk(root)) {
            for (Path source : sources.filter(path -> path.toString().endsWith(".java"))
                    .filter(path -> path.toString().contains("/src/main/java/")).toList()) {
                Matcher matcher = registered.matcher(Files.readString(source));
                while (matcher.find()) {
                    String name = matcher.group(2);
                    switch (matcher.group(1)) {
                        case "Counter", "CounterWithCallback" -> names.add(name + "_total");
                        case "Histogram" -> names.addAll(List.of(name + "_bucket", name + "_sum", name + "_count"));
                        default -> names.add(name);
                    }
                }
            }
        }
        assertThat(names).as("metrics registered in the sources").contains("breakwater_breaker_state",
                "breakwater_records_parked_total", "breakwater_consumer_lag");
        ProcessMetrics.scrape().lines().filter(line -> line.startsWith("jvm_"))
                .forEach(line -> names.add(line.split("[{ ]")[0]));
        return names;
    }

    private static boolean runs(List<String> command) {
        try {
            List<String> version = new ArrayList<>(command);
            version.add("version");
            Process process = new ProcessBuilder(version).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Set<String> launcherCommands() {
        Set<String> commands = new HashSet<>(Breakwater.commandLine(() -> {
            throw new AssertionError("listing the commands reads no settings");
        }, System.out, System.err).getSubcommands().keySet());
        assertThat(commands).contains("up", "ingest-api", "qa-worker");
        return commands;
    }

    private static List<String> withBreakwaterSettings() {
        List<String> result = new ArrayList<>(BREAKWATER_SERVICES);
        result.add("topics");
        return result;
    }

    /** A service's environment, with {@code ${VAR:-default}} read as its default, as on a machine without VAR. */
    private static Map<String, String> environment(String service) {
        Map<String, String> environment = new LinkedHashMap<>();
        JsonNode variables = services.get(service).get("environment");
        assertThat(variables).as(service + "'s environment").isNotNull();
        variables.properties().forEach(entry -> {
            Matcher matcher = INTERPOLATION.matcher(entry.getValue().asText());
            environment.put(entry.getKey(), matcher.replaceAll(match -> Matcher.quoteReplacement(
                    match.group(2) == null ? "" : match.group(2))));
        });
        return environment;
    }

    private static Set<String> dependsOn(String service) {
        JsonNode dependencies = services.get(service).get("depends_on");
        if (dependencies == null) {
            return Set.of();
        }
        Set<String> names = new HashSet<>();
        if (dependencies.isArray()) {
            dependencies.forEach(name -> names.add(name.asText()));
        } else {
            names.addAll(names(dependencies));
        }
        return names;
    }

    private static List<String> ports(String service) {
        List<String> ports = new ArrayList<>();
        services.get(service).path("ports").forEach(port -> ports.add(port.asText()));
        return ports;
    }

    /** A service's mounts: target in the container to source (a path starting ./, or a named volume). */
    private static Map<String, String> mounts(String service) {
        Map<String, String> mounts = new LinkedHashMap<>();
        services.get(service).path("volumes").forEach(volume -> {
            String[] parts = volume.asText().split(":");
            assertThat(parts.length).as(service + "'s volume " + volume.asText()).isGreaterThanOrEqualTo(2);
            mounts.put(parts[1], parts[0]);
        });
        return mounts;
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void readDockerfile(String dockerfile) {
        stageCommands = new HashMap<>();
        stageExposes = new HashMap<>();
        Matcher stages = STAGE.matcher(dockerfile);
        List<int[]> bounds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (stages.find()) {
            names.add(stages.group(1));
            bounds.add(new int[] {stages.end(), dockerfile.length()});
        }
        for (int i = 0; i + 1 < bounds.size(); i++) {
            bounds.get(i)[1] = bounds.get(i + 1)[0];
        }
        for (int i = 0; i < names.size(); i++) {
            String body = dockerfile.substring(bounds.get(i)[0], bounds.get(i)[1]);
            Matcher cmd = Pattern.compile("(?m)^CMD \\[\"([a-z-]+)\"").matcher(body);
            if (cmd.find()) {
                stageCommands.put(names.get(i), cmd.group(1));
            }
            Set<Integer> exposes = new HashSet<>();
            Matcher expose = Pattern.compile("(?m)^EXPOSE (\\d+)").matcher(body);
            while (expose.find()) {
                exposes.add(Integer.parseInt(expose.group(1)));
            }
            stageExposes.put(names.get(i), exposes);
        }
    }

    private static String property(String pom, String name) {
        Matcher matcher = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertThat(matcher.find()).as(name + " in pom.xml").isTrue();
        return matcher.group(1);
    }
}
