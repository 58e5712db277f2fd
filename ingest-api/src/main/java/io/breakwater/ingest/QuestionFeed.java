package io.breakwater.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.topic.TopicFollower;
import io.breakwater.core.topic.Topics;

/**
 * News of questions as it happens, for clients that wait: each instance of the API reads {@code qa.answers} (a
 * question ended) and {@code qa.questions.parked} (a question was parked) from the moment it starts, and completes
 * whoever waits for that question. What happened before a client started waiting is in the store: check it after
 * {@link #next}, not before, and nothing falls in between. Thread-safe.
 */
final class QuestionFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QuestionFeed.class);

    /** What happened to a question. */
    enum News { ENDED, PARKED }

    /** Clients that may wait at once (long polls, asks, websocket subscriptions); beyond, 503. */
    static final int DEFAULT_MAX_WAITERS = 50_000;

    private final Map<String, Set<Waiter>> waiting;
    private final java.util.concurrent.atomic.AtomicInteger waiters = new java.util.concurrent.atomic.AtomicInteger();
    private final int maxWaiters;
    private final String answersTopic;
    private final TopicFollower follower;

    private QuestionFeed(KafkaSettings kafka, Topics topics, String clientId) {
        this.waiting = new ConcurrentHashMap<>();
        this.maxWaiters = DEFAULT_MAX_WAITERS;
        this.answersTopic = topics.answers().name();
        this.follower = TopicFollower.startAtEnd(kafka, clientId,
                List.of(topics.answers().name(), topics.parkedQuestions().name()), this::apply);
    }

    /** Follows nothing: news arrives through {@link #apply}. For tests, which may watch the map of waiters. */
    QuestionFeed(String answersTopic, Map<String, Set<Waiter>> waiting) {
        this(answersTopic, waiting, DEFAULT_MAX_WAITERS);
    }

    QuestionFeed(String answersTopic, Map<String, Set<Waiter>> waiting, int maxWaiters) {
        this.waiting = waiting;
        this.maxWaiters = maxWaiters;
        this.answersTopic = answersTopic;
        this.follower = null;
    }

    static QuestionFeed start(KafkaSettings kafka, Topics topics, String clientId) {
        QuestionFeed feed = new QuestionFeed(kafka, topics, clientId);
        if (!feed.follower.awaitCaughtUp(Duration.ofSeconds(30))) {
            log.warn("Not following {} yet: waiting clients learn of answers when they time out", topics.answers().name());
        }
        return feed;
    }

    /**
     * Completes with the next news of {@code id} of one of {@code kinds}, and stops waiting for it once it completes
     * in any way (time it out with {@link CompletableFuture#completeOnTimeout}).
     *
     * @throws ApiException 503 if {@value #DEFAULT_MAX_WAITERS} (or the configured number of) clients wait already
     */
    CompletableFuture<News> next(String id, Set<News> kinds) {
        if (waiters.incrementAndGet() > maxWaiters) {
            waiters.decrementAndGet();
            throw new ApiException(503, "Too many clients are waiting for answers on this server (at most " + maxWaiters
                    + "); poll without ?wait, or retry in a few seconds.", Map.of("Retry-After", "5"));
        }
        Waiter waiter = new Waiter(new CompletableFuture<>(), kinds);
        // Added inside compute, atomically with the look-up: added after it, the waiter could land in a set that the
        // last other waiter's departure had just removed from the map, and never hear its news (a lost wake-up).
        waiting.compute(id, (ignored, waiters) -> {
            Set<Waiter> joined = waiters == null ? new CopyOnWriteArraySet<>() : waiters;
            joined.add(waiter);
            return joined;
        });
        waiter.news().whenComplete((news, error) -> {
            waiters.decrementAndGet();
            waiting.computeIfPresent(id, (ignored, left) -> {
                left.remove(waiter);
                return left.isEmpty() ? null : left;
            });
        });
        return waiter.news();
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.close();
        }
    }

    void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.key() == null) {
            return;
        }
        Set<Waiter> waiters = waiting.get(new String(record.key(), StandardCharsets.UTF_8));
        if (waiters != null) {
            News news = record.topic().equals(answersTopic) ? News.ENDED : News.PARKED;
            waiters.stream().filter(waiter -> waiter.kinds().contains(news)).forEach(waiter -> waiter.news().complete(news));
        }
    }

    record Waiter(CompletableFuture<News> news, Set<News> kinds) {
    }
}
