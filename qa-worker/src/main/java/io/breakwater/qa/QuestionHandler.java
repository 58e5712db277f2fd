package io.breakwater.qa;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.breakwater.core.breaker.BreakerOpenException;
import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.breaker.DependencyUnavailableException;
import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.event.MalformedEventException;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.limit.CallLimiter;
import io.breakwater.core.park.Parking;
import io.breakwater.core.pipeline.DeadLetters;
import io.breakwater.core.pipeline.RecordHandler;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.Topics;

/**
 * Turns one question record, fresh or replayed from the parked topic, into its outcome: an answer from the LLM
 * through the {@code llm_service} breaker; a park while the LLM is down (or, past the park limit, a dead letter and
 * a failure); a failure when the LLM rejects the question as bad; or, for a record that is not a question at all,
 * a dead letter. Thread-safe.
 */
final class QuestionHandler implements RecordHandler<QuestionHandler.Outcome> {

    /** The seed's words for an open LLM breaker; its users know them. */
    static final String LLM_UNAVAILABLE = "AI service is temporarily unavailable due to repeated failures."
            + " Circuit breaker is protecting the system. Please try again in a few moments.";
    /** Questions handled beyond the LLM's limits, for those that need no call (answered before, parked). */
    private static final int HANDLING_MARGIN = 8;

    /** Why a question is parked while the breaker is open. */
    static final String PARKED_WHILE_OPEN = "AI service is temporarily unavailable. Your question is queued and will"
            + " be answered automatically when it recovers.";

    private static final Logger log = LoggerFactory.getLogger(QuestionHandler.class);

    /**
     * @param answer how the question ended, if it ended and has a readable id
     * @param parked the question's park, if it was parked
     * @param store whether {@code answer} still has to be stored (false when it was read from the store)
     */
    record Outcome(Optional<AnswerEvent> answer, Optional<QuestionStore.Parked> parked, boolean store,
                   List<ProducerRecord<byte[], byte[]>> outputs) {
    }

    private final Topics topics;
    private final QuestionStore store;
    private final LlmChain llm;
    private final BreakerPolicy mongoBreaker;
    /** How long a prefetched look-up is trusted: long enough for a batch to be handled, short enough to stay true. */
    static final Duration PREFETCH_FRESH = Duration.ofSeconds(2);

    private final Retrieval retrieval;
    private final Parking parking;
    private final int maxRecordBytes;
    private final Clock clock;
    private final Map<String, Prefetched> prefetched = new ConcurrentHashMap<>();
    /**
     * Outcomes the LLM gave that are not in MongoDB yet: if their batch does not commit (MongoDB stalled in
     * {@link #beforeCommit}, an aborted transaction, a rebalance back to this instance), handling them again reuses
     * the answer instead of asking the LLM twice. Bounded by the characters held (answers may be long) and by age;
     * an outcome pushed out is only asked again.
     */
    private final Cache<String, AnswerEvent> inHand = Caffeine.newBuilder()
            .maximumWeight(IN_HAND_MAX_CHARS)
            .weigher((String id, AnswerEvent answer) -> 64 + id.length() + length(answer.question())
                    + length(answer.answer()) + length(answer.reason()))
            .expireAfterWrite(IN_HAND_MAX_AGE)
            .build();
    /**
     * Ids whose outcome this worker stored in the last {@link #IN_HAND_MAX_AGE}: the only outcomes {@link #failed} may
     * replace, since one of them may be stored yet unpublishable. Bounded like any map keyed by outsiders' ids.
     */
    private final Cache<String, Boolean> storedLately = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterWrite(IN_HAND_MAX_AGE).build();
    /** Characters of outcomes held in hand, at most (about 64 MiB of heap at worst). */
    static final long IN_HAND_MAX_CHARS = 32L << 20;
    /** How long an outcome not yet stored is kept in hand: far longer than a MongoDB stall the loop rides out. */
    static final Duration IN_HAND_MAX_AGE = Duration.ofMinutes(10);

    /** What a prefetch found for a question: its stored answer, if any, and when it looked. */
    private record Prefetched(Optional<AnswerEvent> answer, long atNanos) {
    }

    /** @param retrieval the passages of crawled pages that best match a question, through the vector_db breaker */
    QuestionHandler(Topics topics, QuestionStore store, LlmChain llm, BreakerPolicy mongoBreaker,
                    Retrieval retrieval, Parking parking, int maxRecordBytes, Clock clock) {
        this.topics = topics;
        this.store = store;
        this.llm = llm;
        this.mongoBreaker = mongoBreaker;
        this.retrieval = retrieval;
        this.parking = parking;
        this.maxRecordBytes = maxRecordBytes;
        this.clock = clock;
    }

    /**
     * Looks up, in one query, which of a fetched batch's questions are answered already, so that handling each needs
     * no round trip of its own. A look-up is trusted for {@link #PREFETCH_FRESH} at most: a record that waits longer
     * (its partition held, the breaker open) is looked up again when it is handled.
     */
    @Override
    public void prefetch(List<ConsumerRecord<byte[], byte[]>> records) {
        long now = System.nanoTime();
        prefetched.values().removeIf(known -> now - known.atNanos() > PREFETCH_FRESH.toNanos());
        List<String> ids = new ArrayList<>(records.size());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (record.value() != null && record.value().length <= maxRecordBytes) {
                readableId(record).ifPresent(ids::add);
            }
        }
        if (ids.isEmpty()) {
            return;
        }
        try {
            Map<String, AnswerEvent> answered = mongoBreaker.call(() -> store.findAnswered(ids));
            for (String id : ids) {
                prefetched.put(id, new Prefetched(Optional.ofNullable(answered.get(id)), now));
            }
        } catch (BreakerOpenException | DependencyUnavailableException e) {
            // Each record is looked up when it is handled, and parks there if MongoDB is still away.
        }
    }

    @Override
    public Outcome handle(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() != null && record.value().length > maxRecordBytes) {
            return deadLetter(record, DeadLetters.REASON_TOO_LARGE, Optional.empty(), new MalformedEventException(
                    "the value is " + record.value().length + " bytes; the limit is " + maxRecordBytes));
        }
        QuestionEvent question;
        try {
            question = EventJson.decode(record.value(), QuestionEvent.class);
        } catch (MalformedEventException e) {
            return deadLetter(record, DeadLetters.REASON_MALFORMED, readableId(record), e);
        }
        AnswerEvent stored;
        try {
            stored = storedOutcome(question.id());
        } catch (BreakerOpenException | DependencyUnavailableException e) {
            return park(record, question, Parking.Failure.notTheWorksFault(mongoBreaker, e));
        }
        if (stored != null) {
            // Ended before, but that transaction did not commit (a crash, a rebalance), or the id came again:
            // publish the same outcome, so that a question a caller has seen end never ends another way.
            Outcome same = ended(stored, false);
            if (stored.status() == QuestionStatus.FAILED && record.topic().equals(parking.parkedTopic())) {
                // It failed on its way out of the parked topic: its dead letter goes with it again.
                List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>(same.outputs());
                outputs.add(DeadLetters.of(record, topics.questionsDeadLetter().name(), DeadLetters.REASON_PARK_LIMIT,
                        IllegalStateException.class.getName(), "ended failed before: " + stored.reason()));
                return new Outcome(same.answer(), Optional.empty(), false, outputs);
            }
            return same;
        }
        return answerOrPark(record, question);
    }

    @Override
    public List<ProducerRecord<byte[], byte[]>> outputs(Outcome outcome) {
        return outcome.outputs();
    }

    @Override
    public void beforeCommit(List<Outcome> outcomes) {
        // Parks first: should one batch hold a park and an answer for the same question, the answer wins.
        List<QuestionStore.Parked> parked = outcomes.stream().flatMap(outcome -> outcome.parked().stream()).toList();
        if (!parked.isEmpty()) {
            try {
                mongoBreaker.call(() -> {
                    store.recordParked(parked);
                    return null;
                });
            } catch (BreakerOpenException | DependencyUnavailableException e) {
                // Best effort: the park record on Kafka is what counts; the status shows once MongoDB is back.
                log.warn("{} parked question(s) not recorded as parked: {}", parked.size(), e.getMessage());
            }
        }
        List<AnswerEvent> ended = outcomes.stream().filter(Outcome::store)
                .flatMap(outcome -> outcome.answer().stream()).toList();
        if (!ended.isEmpty()) {
            // Must hold before the commit: if MongoDB cannot take them, the batch is handled again later.
            mongoBreaker.call(() -> {
                store.recordOutcomes(ended);
                return null;
            });
            // Stored: from here on a question handled again finds its outcome in MongoDB.
            stored(ended);
        }
    }

    /**
     * Ends a question the loop could not handle to the end (its handling threw, its answer does not fit
     * {@code qa.answers}, or its outputs failed a transaction) as {@code failed}, with the reason, in the same
     * transaction as its dead letter: a caller who got a 202 learns why instead of waiting for ever.
     */
    @Override
    public Outcome failed(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        if (record.value() == null || record.value().length > maxRecordBytes) {
            return null;
        }
        Optional<String> id = readableId(record);
        if (id.isEmpty()) {
            return null;
        }
        // Its outcome did not fit qa.answers, or made the transaction fail: that outcome may be stored already (it
        // is stored before the commit) but was never published, and then the failure replaces it, on qa.answers and
        // in the store alike, so that both say the same. Only a whole question's own record, whose outcome this
        // worker stored lately, may do that; anything else (a handler error, a malformed record with an answered
        // question's id) ends nothing that ended before: a question a caller has seen end never ends another way.
        boolean replacesOwnOutcome = !reason.equals(DeadLetters.REASON_HANDLER_ERROR) && isQuestion(record)
                && storedLately.getIfPresent(id.get()) != null;
        if (!replacesOwnOutcome && endedBefore(id.get(), false)) {
            return null;
        }
        inHand.invalidate(id.get());
        // Without the question's text: the store has it already, and the outcome must fit however long it is.
        AnswerEvent failed = AnswerEvent.failed(id.get(), null, "The question could not be answered ("
                + reason + ": " + DeadLetters.summary(error) + "). It was set aside on " + topics.questionsDeadLetter().name()
                + " for an operator.", clock.instant());
        return new Outcome(Optional.of(failed), Optional.empty(), true,
                List.of(topics.answers().serialized(failed.id(), failed)));
    }

    /**
     * As many questions as the LLM's deployments take calls at once now, and a quarter more to have the next ones
     * retrieved and ready: more would only hold a thread each to wait for a permit.
     */
    @Override
    public int handlingLimit() {
        int calls = 0;
        for (CallLimiter limiter : llm.limiters()) {
            calls += limiter.limit();
        }
        return calls + calls / 4 + HANDLING_MARGIN;
    }

    private Outcome answerOrPark(ConsumerRecord<byte[], byte[]> record, QuestionEvent question) {
        AnswerEvent held = inHand.getIfPresent(question.id());
        if (held != null && question.question().equals(held.question())) {
            return ended(held, true);
        }
        AnswerEvent outcome;
        try {
            Retrieval.Context context = retrieval.forQuestion(question.question());
            Answer answer = llm.answer(question.question(), context.passages());
            outcome = AnswerEvent.answered(question.id(), question.question(), answer.text(), answer.sources(),
                    context.missing().map(answer.answeredBy()::withoutContext).orElse(answer.answeredBy()),
                    clock.instant());
        } catch (BreakerOpenException | DependencyUnavailableException e) {
            return park(record, question, Parking.Failure.of(llm.primary(), e));
        } catch (DependencyRejectedException e) {
            log.info("Question {} failed: {}", question.id(), e.getMessage());
            outcome = AnswerEvent.failed(question.id(), question.question(), e.getMessage(), clock.instant());
        }
        inHand.put(question.id(), outcome);
        return ended(outcome, !(llm.costly() && storedNow(outcome)));
    }

    /**
     * Stores a costly outcome at once, on this worker thread, instead of with its batch: a worker killed before the
     * batch commits then finds it stored and republishes it, and only the calls in flight are lost. If MongoDB
     * cannot take it now, it stays in hand and goes with its batch.
     */
    private boolean storedNow(AnswerEvent outcome) {
        try {
            mongoBreaker.call(() -> {
                store.recordOutcomes(List.of(outcome));
                return null;
            });
        } catch (BreakerOpenException | DependencyUnavailableException e) {
            return false;
        }
        stored(List.of(outcome));
        return true;
    }

    /**
     * After outcomes are stored: a look-up prefetched before is stale for them, and they are remembered as this
     * worker's own for a while ({@link #failed} may replace one that its commit could not publish). They stay in
     * hand until they expire: another record with the same id and text, looked up before the store, reuses them
     * instead of asking the LLM for a second, different answer.
     */
    private void stored(List<AnswerEvent> outcomes) {
        for (AnswerEvent outcome : outcomes) {
            prefetched.remove(outcome.id());
            storedLately.put(outcome.id(), Boolean.TRUE);
        }
    }

    /** Whether the record is a whole, valid question (not merely one with a readable id). */
    private static boolean isQuestion(ConsumerRecord<byte[], byte[]> record) {
        try {
            EventJson.decode(record.value(), QuestionEvent.class);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }

    private Outcome park(ConsumerRecord<byte[], byte[]> record, QuestionEvent question, Parking.Failure failure) {
        Parking.Decision decision = parking.decide(record, failure);
        if (decision.deadLettered()) {
            String reason = "The AI service failed to answer this question " + decision.failedAttempts()
                    + " times, so it was set aside on " + decision.record().topic() + " for an operator to re-drive."
                    + " Last error: " + failure.error().getMessage();
            log.warn("Question {} dead-lettered after {} failed attempts", question.id(), decision.failedAttempts());
            AnswerEvent failed = AnswerEvent.failed(question.id(), question.question(), reason, clock.instant());
            return new Outcome(Optional.of(failed), Optional.empty(), true,
                    List.of(decision.record(), topics.answers().serialized(failed.id(), failed)));
        }
        String reason = failure.breaker().equals(mongoBreaker.name())
                ? "The answer store (MongoDB) is unavailable. Your question is queued and will be answered when it"
                        + " recovers."
                : failure.attempted()
                ? "The AI service could not answer just now (" + failure.error().getMessage() + "). Your question is"
                        + " queued and will be retried automatically."
                : PARKED_WHILE_OPEN;
        QuestionStore.Parked parked = new QuestionStore.Parked(question.id(), question.question(), reason,
                decision.failedAttempts(), decision.notBefore());
        return new Outcome(Optional.empty(), Optional.of(parked), false, List.of(decision.record()));
    }

    private Outcome ended(AnswerEvent answer, boolean store) {
        return new Outcome(Optional.of(answer), Optional.empty(), store,
                List.of(topics.answers().serialized(answer.id(), answer)));
    }

    /**
     * Dead-letters the record, and if it names a readable id, also ends that question as failed: whoever sent it
     * learns why, on {@code qa.answers} and through the API.
     */
    private Outcome deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, Optional<String> id,
                               MalformedEventException error) {
        log.warn("Dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(),
                topics.questionsDeadLetter().name(), error.getMessage());
        List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
        outputs.add(DeadLetters.of(record, topics.questionsDeadLetter().name(), reason, error));
        // A malformed record may carry the id of a question that ended long ago (or any id at all): it ends
        // nothing that ended before, and nothing when the store cannot tell.
        Optional<AnswerEvent> failed = id.filter(readable -> !endedBefore(readable, true)).map(readable ->
                AnswerEvent.failed(readable, null, "The question event is malformed: " + error.getMessage(),
                        clock.instant()));
        failed.ifPresent(answer -> outputs.add(topics.answers().serialized(answer.id(), answer)));
        return new Outcome(failed, Optional.empty(), failed.isPresent(), outputs);
    }

    /**
     * Whether question {@code id} ended before (answered or failed), as the store has it now.
     *
     * @param ifUnknown the answer when the store cannot be asked
     */
    private boolean endedBefore(String id, boolean ifUnknown) {
        try {
            return storedOutcome(id) != null;
        } catch (BreakerOpenException | DependencyUnavailableException e) {
            return ifUnknown;
        }
    }

    /**
     * The ended outcome stored for {@code id}, or null: what the batch's prefetch found, if it is fresh, else one
     * look-up of its own.
     */
    private AnswerEvent storedOutcome(String id) {
        Prefetched known = prefetched.remove(id);
        return known != null && System.nanoTime() - known.atNanos() <= PREFETCH_FRESH.toNanos()
                ? known.answer().orElse(null)
                : mongoBreaker.call(() -> store.findAnswered(List.of(id))).get(id);
    }

    private static Optional<String> readableId(ConsumerRecord<byte[], byte[]> record) {
        try {
            JsonNode id = EventJson.tree(record.value()).get("id");
            if (id != null && id.isTextual() && QuestionEvent.ID_PATTERN.matcher(id.asText()).matches()) {
                return Optional.of(id.asText());
            }
        } catch (MalformedEventException e) {
            // Not even a JSON object: there is no id to report to.
        }
        return Optional.empty();
    }
}
