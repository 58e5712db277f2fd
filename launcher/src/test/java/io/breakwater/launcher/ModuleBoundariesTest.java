package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The layering rules, over the sources of every module. The launcher assembles the services; nothing else may
 * know another service: a change to one must never ripple into another.
 */
class ModuleBoundariesTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** Module folder → the Breakwater packages its main code may import. */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "core", List.of("io.breakwater.core"),
            "embedded", List.of("io.breakwater.embedded"),
            "ingest-api", List.of("io.breakwater.core", "io.breakwater.ingest"),
            "qa-worker", List.of("io.breakwater.core", "io.breakwater.qa"),
            "breaker-state", List.of("io.breakwater.core", "io.breakwater.state"),
            "crawler-worker", List.of("io.breakwater.core", "io.breakwater.crawler"),
            // The test kit drives the product from outside: servers, doubles, probes; never a service's classes.
            "testkit", List.of("io.breakwater.embedded", "io.breakwater.testkit"),
            // The benchmarks measure the services as they are, beside the launcher, not through it.
            "bench", List.of("io.breakwater.core", "io.breakwater.embedded", "io.breakwater.testkit",
                    "io.breakwater.ingest", "io.breakwater.qa", "io.breakwater.state", "io.breakwater.bench"),
            // What a service's jar carries: the services and the embedded servers, no benchmark and no test double.
            "launcher", List.of("io.breakwater.core", "io.breakwater.embedded", "io.breakwater.ingest",
                    "io.breakwater.qa", "io.breakwater.crawler", "io.breakwater.state", "io.breakwater.launcher"));

    private static final Pattern BREAKWATER_IMPORT = Pattern.compile("^import (static )?(io\\.breakwater\\.[\\w.]+);", Pattern.MULTILINE);

    @Test
    void servicesDependOnCoreAndNeverOnEachOther() {
        ALLOWED.forEach((module, allowed) -> sources(module).forEach(file -> {
            var imports = BREAKWATER_IMPORT.matcher(read(file));
            while (imports.find()) {
                String imported = imports.group(2);
                assertThat(allowed.stream().anyMatch(imported::startsWith))
                        .as("%s imports %s: module %s may only use %s, because services share code only through core",
                                ROOT.relativize(file), imported, module, allowed)
                        .isTrue();
            }
        }));
    }

    @Test
    void topicNamesAreWrittenOnlyInTheCatalogue() {
        Pattern topicLiteral = Pattern.compile("\"(qa\\.(questions|answers)|crawl\\.(jobs|pages)|breaker\\.(events|health|control)|breakwater\\.dlq)[a-z.]*\"");
        for (String module : List.of("core", "ingest-api", "qa-worker", "breaker-state", "crawler-worker", "launcher",
                "bench")) {
            sources(module)
                    .filter(file -> !file.endsWith(Path.of("topic", "Topics.java")))
                    .forEach(file -> assertThat(topicLiteral.matcher(read(file)).find())
                            .as("%s names a topic in a string: take it from Topics, so that names stay configurable",
                                    ROOT.relativize(file))
                            .isFalse());
        }
    }

    private static Stream<Path> sources(String module) {
        Path main = ROOT.resolve(module).resolve("src/main/java");
        assertThat(main).as("sources of module %s", module).isDirectory();
        try {
            return Files.walk(main).filter(path -> path.toString().endsWith(".java")).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
