package io.breakwater.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** What the benchmarks read about the machine and its processes, from /proc where Linux has it. */
final class Machine {

    private Machine() {
    }

    static long totalMemoryMiB() {
        return procValueKiB(Path.of("/proc/meminfo"), "MemTotal:").map(kib -> kib / 1024).orElse(-1L);
    }

    /** The peak resident set size of a process (VmHWM), in MiB, if /proc tells it. */
    static Optional<Double> peakRssMiB(long pid) {
        return procValueKiB(Path.of("/proc", Long.toString(pid), "status"), "VmHWM:").map(kib -> kib / 1024.0);
    }

    private static Optional<Long> procValueKiB(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(field)) {
                    return Optional.of(Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or the process is gone
        }
        return Optional.empty();
    }
}
