package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.config.Settings;
import io.breakwater.core.topic.Topics;

/** Whether a question that Kafka did not acknowledge may be on the topic all the same: the 503 must say which. */
class EventPublisherTest {

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(),
            new ByteArraySerializer());
    private final EventPublisher publisher = new EventPublisher(producer, new BreakerPolicy(Dependencies.KAFKA),
            Duration.ofSeconds(11));
    private final Topics topics = Topics.from(Settings.of(java.util.Map.of()));

    @Test
    void shouldSayARecordThatTimedOutAfterItWasSentMayBeOnTheTopic() {
        CompletableFuture<RecordMetadata> sent = publisher.publish(topics.crawlJobs(), "k",
                new io.breakwater.core.crawl.CrawlJob("https://example.com/", 0, java.time.Instant.EPOCH));

        producer.errorNext(new TimeoutException("Expiring 1 record(s) for qa.questions-0: 8000 ms has passed"));

        assertThat(sent).isCompletedExceptionally();
        assertThat(NotAcknowledgedException.maybeSent(sent.handle((ok, error) -> error).join())).isTrue();
    }

    @Test
    void shouldSayARecordTheProducerRefusedAtOnceWasNotSent() {
        producer.sendException = new TimeoutException("Topic qa.questions not present in metadata after 3000 ms.");

        CompletableFuture<RecordMetadata> refused = publisher.publish(topics.crawlJobs(), "k",
                new io.breakwater.core.crawl.CrawlJob("https://example.com/", 0, java.time.Instant.EPOCH));

        assertThat(refused).isCompletedExceptionally();
        assertThat(NotAcknowledgedException.maybeSent(refused.handle((ok, error) -> error).join())).isFalse();
    }

    @Test
    void shouldWordA503ForAQuestionThatMayHaveBeenQueuedHonestly() {
        Throwable timedOut = new NotAcknowledgedException(true, "Expiring 1 record(s)", new TimeoutException("x"));
        Throwable refused = new NotAcknowledgedException(false, "Kafka did not answer just now", null);

        assertThat(QuestionRoutes.notAccepted("q-1", timedOut).getCause().getMessage())
                .contains("may or may not have been queued").contains("\"id\": \"q-1\"")
                .doesNotContain("Nothing was queued");
        assertThat(QuestionRoutes.notAccepted("q-3", refused).getCause().getMessage())
                .contains("Nothing was queued; please retry.");
    }
}
