package io.breakwater.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * No cycles among core's packages: each package may lean on others only if none of them leans back, so that a
 * package can be understood, tested and moved with what it depends on alone. Read from the {@code import} lines of
 * core's main sources (a class used by its full name, without an import, is not seen).
 */
class PackageCyclesTest {

    private static final Path SOURCES = Path.of("src/main/java");
    private static final String CORE = "io.breakwater.core";
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.breakwater\\.core\\.[\\w.]+);",
            Pattern.MULTILINE);

    @Test
    void corePackagesDependOnEachOtherWithoutCycles() {
        SortedMap<String, SortedSet<String>> graph = packageGraph(SOURCES);
        assertThat(graph).as("core's packages, read from %s", SOURCES.toAbsolutePath()).containsKeys("breaker", "health");

        assertThat(cycle(graph))
                .as("core's package dependencies %s: a cycle means neither package can be understood or changed without"
                        + " the other; move the class that closes it to the package it belongs to", graph)
                .isEmpty();
    }

    @Test
    void shouldNameACycleWhenThereIsOne() {
        SortedMap<String, SortedSet<String>> graph = new TreeMap<>(Map.of(
                "breaker", new TreeSet<>(Set.of("health", "metrics")),
                "health", new TreeSet<>(),
                "metrics", new TreeSet<>(Set.of("kafka")),
                "kafka", new TreeSet<>(Set.of("breaker"))));

        assertThat(cycle(graph)).contains(List.of("breaker", "metrics", "kafka", "breaker"));
    }

    /** Package (below {@code io.breakwater.core}) → the other core packages its classes import. */
    static SortedMap<String, SortedSet<String>> packageGraph(Path sources) {
        SortedMap<String, SortedSet<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher declared = PACKAGE.matcher(source);
                if (!declared.find() || !declared.group(1).startsWith(CORE + ".")) {
                    continue;
                }
                String from = declared.group(1).substring(CORE.length() + 1);
                SortedSet<String> uses = graph.computeIfAbsent(from, ignored -> new TreeSet<>());
                Matcher imports = IMPORT.matcher(source);
                while (imports.find()) {
                    String to = packageOf(imports.group(1));
                    if (!to.equals(from)) {
                        uses.add(to);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** The package of an imported name: its segments below core, up to the first that names a type. */
    private static String packageOf(String imported) {
        List<String> segments = new ArrayList<>();
        for (String segment : imported.substring(CORE.length() + 1).split("\\.")) {
            if (Character.isUpperCase(segment.charAt(0))) {
                break;
            }
            segments.add(segment);
        }
        return String.join(".", segments);
    }

    /** A cycle in {@code graph}, as the packages along it with the first repeated at the end; empty if none. */
    static Optional<List<String>> cycle(SortedMap<String, SortedSet<String>> graph) {
        Set<String> done = new HashSet<>();
        for (String start : graph.keySet()) {
            Optional<List<String>> found = cycleFrom(start, graph, new ArrayDeque<>(), done);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** Depth first; {@code path} holds the packages being visited, so meeting one of them again closes a cycle. */
    private static Optional<List<String>> cycleFrom(String node, Map<String, SortedSet<String>> graph,
                                                    Deque<String> path, Set<String> done) {
        if (path.contains(node)) {
            List<String> cycle = new ArrayList<>();
            path.descendingIterator().forEachRemaining(cycle::add);
            cycle = new ArrayList<>(cycle.subList(cycle.indexOf(node), cycle.size()));
            cycle.add(node);
            return Optional.of(cycle);
        }
        if (!done.add(node)) {
            return Optional.empty();
        }
        path.push(node);
        for (String next : graph.getOrDefault(node, new TreeSet<>())) {
            Optional<List<String>> found = cycleFrom(next, graph, path, done);
            if (found.isPresent()) {
                return found;
            }
        }
        path.pop();
        return Optional.empty();
    }
}
