package io.breakwater.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class RunningTest {

    private final List<String> closed = new ArrayList<>();
    private final Running running = new Running();

    @Test
    void shouldCloseWhatWasStartedLastFirst() {
        running.add(named("broker"));
        running.add(named("api"));
        running.add(named("worker"));

        running.close();

        assertThat(closed).containsExactly("worker", "api", "broker");
    }

    @Test
    void shouldCloseEveryOneEvenWhenSomeFailAndFailWithEachFailureSuppressed() {
        IOException first = new IOException("first");
        IllegalStateException second = new IllegalStateException("second");
        running.add(named("broker"));
        running.add(() -> {
            throw first;
        });
        running.add(named("api"));
        running.add(() -> {
            throw second;
        });

        AssertionError failure = catchThrowableOfType(AssertionError.class, running::close);

        assertThat(closed).containsExactly("api", "broker");
        assertThat(failure.getSuppressed()).containsExactly(second, first);
        assertThat(failure).hasMessageContaining("2 failed to close");
    }

    @Test
    void shouldFailWithWhatLoopsReportedOnceEverythingIsClosed() {
        RuntimeException stopped = new RuntimeException("loop stopped");
        running.add(named("worker"));
        running.failed(stopped);

        AssertionError failure = catchThrowableOfType(AssertionError.class, running::close);

        assertThat(closed).containsExactly("worker");
        assertThat(failure.getSuppressed()).containsExactly(stopped);
        assertThat(failure).hasMessageContaining("1 failure(s) reported");
    }

    @Test
    void shouldLeaveWhatWasRemovedToTheTest() {
        AutoCloseable pipeline = running.add(named("pipeline"));
        running.remove(pipeline);

        running.close();

        assertThat(closed).isEmpty();
    }

    private AutoCloseable named(String name) {
        return () -> closed.add(name);
    }
}
