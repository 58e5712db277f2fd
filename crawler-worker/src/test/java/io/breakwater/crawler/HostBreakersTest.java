package io.breakwater.crawler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.config.FleetSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.health.BreakerState;

/** Per-host breakers stay bounded however many hosts outsiders name, without forgetting a dead one. */
class HostBreakersTest {

    private final List<BreakerPolicy> made = new ArrayList<>();
    private final List<BreakerPolicy> gone = new ArrayList<>();
    private final Settings settings = Settings.of(Map.of("breaker.crawler.failures", "1", "breaker.crawler.retries", "0"));
    private final HostBreakers breakers = new HostBreakers(settings, CrawlerSettings.from(settings),
            new BreakerPolicy.Identity("node-1", Clock.systemUTC().instant()), FleetSettings.from(settings),
            Clock.systemUTC(), made::add, gone::add, 50);

    @Test
    void shouldKeepABoundedNumberOfHostBreakersAndLetTheOthersGo() {
        for (int i = 0; i < 300; i++) {
            breakers.forHost("h" + i + ".invalid");
        }

        assertThat(breakers.size()).isLessThanOrEqualTo(50);
        assertThat(made).hasSize(300);
        assertThat(gone).hasSize(300 - (int) breakers.size());
    }

    @Test
    void shouldNotForgetThatADeadHostsBreakerIsOpenWhenABurstOfOtherHostsComesAlong() {
        BreakerPolicy dead = breakers.forHost("dead.example.org");
        catchThrowable(() -> dead.call(() -> {
            throw new DependencyUnavailableException("no answer");
        }));
        assertThat(dead.state()).isEqualTo(BreakerState.OPEN);

        for (int i = 0; i < 300; i++) {
            breakers.forHost("h" + i + ".invalid");
        }

        assertThat(breakers.forHost("dead.example.org")).isSameAs(dead);
        assertThat(breakers.existing("dead.example.org").state()).isEqualTo(BreakerState.OPEN);
        assertThat(gone).doesNotContain(dead);
    }

    @Test
    void shouldReplayAJobParkedForTheStoreByTheStoresBreakerAndAnyOtherByItsHosts() {
        BreakerPolicy store = new BreakerPolicy(io.breakwater.core.config.Dependencies.MONGODB);
        BreakerPolicy host = breakers.forHost("docs.example");
        byte[] job = "{\"url\":\"http://docs.example/a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        org.apache.kafka.common.header.Headers parkedForTheStore = new org.apache.kafka.common.header.internals.RecordHeaders();
        io.breakwater.core.pipeline.WorkHeaders.set(parkedForTheStore, io.breakwater.core.pipeline.WorkHeaders.BREAKER,
                "mongodb");

        assertThat(CrawlerWorker.parkedFor(parked(job, parkedForTheStore), store, breakers)).isSameAs(store);
        assertThat(CrawlerWorker.parkedFor(parked(job, new org.apache.kafka.common.header.internals.RecordHeaders()),
                store, breakers)).isSameAs(host);
    }

    private static org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> parked(byte[] value,
            org.apache.kafka.common.header.Headers headers) {
        return new org.apache.kafka.clients.consumer.ConsumerRecord<>("crawl.jobs.parked", 0, 0L, 0L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, value.length, null, value, headers,
                java.util.Optional.empty());
    }
}
