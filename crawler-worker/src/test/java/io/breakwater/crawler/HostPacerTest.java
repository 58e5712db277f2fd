package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Politeness turns on a clock the test moves. */
class HostPacerTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final HostPacer pacer = new HostPacer(nanos::get);

    @Test
    void shouldGrantTurnsOneGapApartWithinTheLongestWait() {
        Duration gap = Duration.ofMillis(500);

        assertThat(pacer.reserve("example.org", gap, HostPacer.MAX_TURN_WAIT))
                .isEqualTo(new HostPacer.Turn(true, Duration.ZERO));
        assertThat(pacer.reserve("example.org", gap, HostPacer.MAX_TURN_WAIT))
                .isEqualTo(new HostPacer.Turn(true, Duration.ofMillis(500)));
        assertThat(pacer.reserve("other.example.org", gap, HostPacer.MAX_TURN_WAIT))
                .as("another host is not held up").isEqualTo(new HostPacer.Turn(true, Duration.ZERO));
    }

    @Test
    void shouldDeferInsteadOfWaitingWhenTheHostsNextTurnIsFarAway() {
        Duration crawlDelay = Duration.ofSeconds(30);
        pacer.reserve("slow.example.org", crawlDelay, HostPacer.MAX_TURN_WAIT);

        HostPacer.Turn refused = pacer.reserve("slow.example.org", crawlDelay, HostPacer.MAX_TURN_WAIT);
        nanos.addAndGet(Duration.ofSeconds(29).toNanos());
        HostPacer.Turn nearlyThere = pacer.reserve("slow.example.org", crawlDelay, HostPacer.MAX_TURN_WAIT);

        assertThat(refused).isEqualTo(new HostPacer.Turn(false, crawlDelay));
        assertThat(nearlyThere).as("a refused turn reserved nothing").isEqualTo(new HostPacer.Turn(true, Duration.ofSeconds(1)));
    }

    @Test
    void shouldPushTheNextTurnBackWhenALongerGapIsLearntWhileSending() {
        pacer.reserve("example.org", Duration.ZERO, HostPacer.MAX_TURN_WAIT);

        pacer.sending("example.org", Duration.ofSeconds(30));

        assertThat(pacer.reserve("example.org", Duration.ZERO, HostPacer.MAX_TURN_WAIT).granted()).isFalse();
    }

    @Test
    void shouldHoldTurnsGivenBeforeACrawlDelayWasKnownUntilThatLongAfterTheHostsLastRequest() {
        Duration politeness = Duration.ofSeconds(1);
        Duration crawlDelay = Duration.ofSeconds(30);
        HostPacer.Turn first = pacer.reserve("new.example.org", politeness, HostPacer.MAX_TURN_WAIT);
        HostPacer.Turn second = pacer.reserve("new.example.org", politeness, HostPacer.MAX_TURN_WAIT);

        Optional<Duration> firstGoes = pacer.claim("new.example.org", crawlDelay);
        nanos.addAndGet(politeness.toNanos());
        Optional<Duration> secondWaits = pacer.claim("new.example.org", crawlDelay);
        nanos.addAndGet(Duration.ofSeconds(29).toNanos());
        Optional<Duration> secondGoes = pacer.claim("new.example.org", crawlDelay);

        assertThat(first.granted() && second.granted()).as("both were given turns a second apart").isTrue();
        assertThat(firstGoes).as("nothing went out before the first").isEmpty();
        assertThat(secondWaits).contains(Duration.ofSeconds(29));
        assertThat(secondGoes).isEmpty();
        assertThat(pacer.reserve("new.example.org", crawlDelay, HostPacer.MAX_TURN_WAIT))
                .as("the turn after the second is a Crawl-delay later").isEqualTo(new HostPacer.Turn(false, crawlDelay));
    }

    @Test
    void shouldRememberABoundedNumberOfHosts() {
        for (int i = 0; i < HostPacer.MAX_HOSTS + 5_000; i++) {
            pacer.reserve("h" + i + ".invalid", Duration.ofSeconds(1), HostPacer.MAX_TURN_WAIT);
        }

        assertThat(pacer.size()).isLessThanOrEqualTo(HostPacer.MAX_HOSTS);
    }
}
