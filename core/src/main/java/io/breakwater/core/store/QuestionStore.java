package io.breakwater.core.store;

import static io.breakwater.core.store.QuestionDocuments.date;
import static io.breakwater.core.store.QuestionDocuments.instant;
import static io.breakwater.core.store.QuestionDocuments.outcomeUpdate;
import static io.breakwater.core.store.QuestionDocuments.toRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;

import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.QuestionStatus;

/**
 * Every question's status and answer in MongoDB's {@value #COLLECTION} collection, one document per id. Writes are
 * upserts by id, so writing the same outcome twice leaves one document. Thread-safe.
 */
public final class QuestionStore {

    public static final String COLLECTION = "questions";

    private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

    /**
     * A question waiting for the LLM to recover.
     *
     * @param question its text, when known
     * @param reason why, for people
     * @param parkCount failed attempts so far
     * @param nextAttemptAt not tried again before then
     */
    public record Parked(String id, String question, String reason, int parkCount, Instant nextAttemptAt) {
    }

    /** Where a claimed id's question stands on its way to Kafka (see {@link #claim}). */
    public enum Publication {
        /** Claimed; its publish is under way (or the API stopped during it). */
        PUBLISHING,
        /** Sent, but Kafka never said whether it took it: it may be on the topic. */
        UNCONFIRMED,
        /** On Kafka (acknowledged), or a worker has seen it. */
        CONFIRMED
    }

    /**
     * The answer to {@link #claim}: either this caller now holds the id ({@code won}, with {@code token} to release,
     * confirm or retake it), or {@code holder} holds it already.
     *
     * @param claimedAt when the holder's claim was made or last retaken (null once confirmed)
     */
    public record Claim(boolean won, String token, QuestionRecord holder, Publication publication, Instant claimedAt) {
    }

    private static final String CLAIM_TOKEN = "claimToken";
    private static final String CLAIMED_AT = "claimedAt";
    private static final String PUBLICATION = "publication";

    private final MongoCollection<Document> questions;

    public QuestionStore(MongoDatabase database) {
        this.questions = database.getCollection(COLLECTION);
    }

    /**
     * Records a question as queued, unless a worker already got further with it: the API writes this after Kafka
     * acknowledged the event, and a fast worker may have answered in between.
     */
    public void recordQueued(QuestionEvent question, Instant at) {
        recordQueued(question, at, null);
    }

    /** As above, noting who asked it ({@code owner}, a fingerprint of the API key), so only they may read it. */
    public void recordQueued(QuestionEvent question, Instant at, String owner) {
        recordQueued(List.of(new Queued(question, at, owner)));
    }

    /**
     * A question accepted by the API, to record as queued.
     *
     * @param owner who asked it (a fingerprint of the API key), or null
     */
    public record Queued(QuestionEvent question, Instant at, String owner) {
    }

    /** Records questions as queued, as above, in one round trip. */
    public void recordQueued(Collection<Queued> accepted) {
        if (accepted.isEmpty()) {
            return;
        }
        List<UpdateOneModel<Document>> writes = new ArrayList<>(accepted.size());
        for (Queued queued : accepted) {
            QuestionEvent question = queued.question();
            List<Bson> updates = new ArrayList<>(List.of(
                    Updates.setOnInsert("status", QuestionStatus.QUEUED.wireName()),
                    Updates.setOnInsert("question", question.question()),
                    Updates.setOnInsert("submittedAt", date(question.submittedAt() == null ? queued.at()
                            : question.submittedAt())),
                    Updates.setOnInsert("updatedAt", date(queued.at()))));
            if (queued.owner() != null) {
                // Set, not set-on-insert: a fast worker may have created the document, without an owner, first.
                updates.add(Updates.set("owner", queued.owner()));
            }
            // Acknowledged by Kafka: a claim made for it (see claim) is settled.
            updates.add(Updates.unset(PUBLICATION));
            updates.add(Updates.unset(CLAIM_TOKEN));
            updates.add(Updates.unset(CLAIMED_AT));
            writes.add(new UpdateOneModel<>(Filters.eq("_id", question.id()), Updates.combine(updates), UPSERT));
        }
        questions.bulkWrite(writes);
    }

    /** Records how questions ended, in one round trip. */
    public void recordOutcomes(Collection<AnswerEvent> outcomes) {
        if (outcomes.isEmpty()) {
            return;
        }
        List<UpdateOneModel<Document>> writes = new ArrayList<>(outcomes.size());
        for (AnswerEvent outcome : outcomes) {
            writes.add(new UpdateOneModel<>(Filters.eq("_id", outcome.id()), outcomeUpdate(outcome), UPSERT));
        }
        questions.bulkWrite(writes);
    }

    /**
     * Opens failed questions again, for {@code dlq replay}: each question that ended {@code failed}, and whose stored
     * text is the one given (or was never stored), goes back to {@code queued} with {@code reason}, so that a worker
     * handling its replayed record answers it afresh instead of publishing the stored failure again. Answered
     * questions, questions with another text, and ids with no document are left as they are.
     *
     * @param questions question text by id, as the letters to be put back hold them
     * @return the reason each reopened question had failed with, by id, for {@link #closeAgain}
     */
    public Map<String, String> reopen(Map<String, String> questions, String reason) {
        Map<String, String> reopened = new java.util.LinkedHashMap<>();
        Instant now = Instant.now();
        try {
            questions.forEach((id, text) -> {
                Document before = this.questions.findOneAndUpdate(Filters.and(Filters.eq("_id", id),
                                Filters.eq("status", QuestionStatus.FAILED.wireName()),
                                Filters.or(Filters.eq("question", text), Filters.exists("question", false))),
                        Updates.combine(Updates.set("status", QuestionStatus.QUEUED.wireName()),
                                Updates.set("reason", reason), Updates.set("updatedAt", date(now))));
                if (before != null) {
                    reopened.put(id, before.getString("reason"));
                }
            });
        } catch (RuntimeException e) {
            // Half done: none of them goes back, so those opened end as they were.
            try {
                closeAgain(reopened);
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        return reopened;
    }

    /**
     * Undoes {@link #reopen} for questions whose letters could not be put back after all: each still {@code queued}
     * ends {@code failed} again with the reason it had.
     */
    public void closeAgain(Map<String, String> reopened) {
        Instant now = Instant.now();
        reopened.forEach((id, reason) -> questions.updateOne(Filters.and(Filters.eq("_id", id),
                        Filters.eq("status", QuestionStatus.QUEUED.wireName())),
                Updates.combine(Updates.set("status", QuestionStatus.FAILED.wireName()),
                        reason == null ? Updates.unset("reason") : Updates.set("reason", reason),
                        Updates.set("updatedAt", date(now)))));
    }

    /**
     * Records questions as parked, in one round trip. A question that has an answer stays answered even so (see
     * {@link QuestionDocuments#toRecord}): a replayed question that found its answer stored is never parked, but two loops may race on
     * one id. Every write here is filtered on {@code _id} alone, so that any server, the embedded one included, finds
     * the document by its index instead of scanning the collection.
     */
    public void recordParked(Collection<Parked> parked) {
        if (parked.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        List<UpdateOneModel<Document>> writes = new ArrayList<>(parked.size());
        for (Parked question : parked) {
            // Upserted: a question published straight to Kafka has no document yet.
            List<Bson> updates = new ArrayList<>(List.of(
                    Updates.set("status", QuestionStatus.PARKED.wireName()),
                    Updates.set("reason", question.reason()),
                    Updates.set("parkCount", question.parkCount()),
                    Updates.set("nextAttemptAt", date(question.nextAttemptAt())),
                    Updates.set("updatedAt", date(now)),
                    Updates.setOnInsert("submittedAt", date(now))));
            if (question.question() != null) {
                updates.add(Updates.set("question", question.question()));
            }
            writes.add(new UpdateOneModel<>(Filters.eq("_id", question.id()), Updates.combine(updates), UPSERT));
        }
        questions.bulkWrite(writes);
    }

    /**
     * Claims {@code question}'s id for {@code owner} atomically, before its question is published: a document is
     * inserted, and MongoDB's unique {@code _id} lets exactly one of several concurrent claims win (E11000 for the
     * others). The winner publishes, then {@link #recordQueued} (acknowledged), {@link #releaseClaim} (certainly not
     * sent) or {@link #markUnconfirmed} (outcome unknown). Everyone else gets the holder, to compare with.
     *
     * @param owner who claims it (a fingerprint of the API key), or null
     * @throws com.mongodb.MongoException if MongoDB cannot be asked
     */
    public Claim claim(QuestionEvent question, String owner, Instant at) {
        for (int attempt = 0; ; attempt++) {
            String token = java.util.UUID.randomUUID().toString();
            Document claim = new Document("_id", question.id())
                    .append("status", QuestionStatus.QUEUED.wireName())
                    .append("question", question.question())
                    .append("submittedAt", date(question.submittedAt() == null ? at : question.submittedAt()))
                    .append("updatedAt", date(at))
                    .append(PUBLICATION, Publication.PUBLISHING.name())
                    .append(CLAIM_TOKEN, token)
                    .append(CLAIMED_AT, date(at));
            if (owner != null) {
                claim.append("owner", owner);
            }
            try {
                questions.insertOne(claim);
                return new Claim(true, token, null, Publication.PUBLISHING, at);
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
            }
            Document holder = questions.find(Filters.eq("_id", question.id())).first();
            if (holder != null) {
                return holderClaim(holder);
            }
            // Released between the insert and the look-up (rare): claim again, a few times at most.
            if (attempt >= 3) {
                throw new IllegalStateException("the id '" + question.id() + "' keeps being claimed and released");
            }
        }
    }

    /**
     * Takes over a claim whose question may or may not be on Kafka ({@link Publication#UNCONFIRMED}, or a stale
     * {@link Publication#PUBLISHING}), so that its owner may publish it again: only one retry wins.
     *
     * @param token the holder's token, as {@link #claim} returned it
     * @return the new token, or empty if someone else took it over first
     */
    public Optional<String> retakeClaim(String id, String token, Instant at) {
        String retaken = java.util.UUID.randomUUID().toString();
        Document updated = questions.findOneAndUpdate(Filters.and(Filters.eq("_id", id), Filters.eq(CLAIM_TOKEN, token)),
                Updates.combine(Updates.set(CLAIM_TOKEN, retaken), Updates.set(CLAIMED_AT, date(at)),
                        Updates.set(PUBLICATION, Publication.PUBLISHING.name())));
        return updated == null ? Optional.empty() : Optional.of(retaken);
    }

    /** Gives up a claim whose question was certainly not sent, so that the id may be claimed again. */
    public void releaseClaim(String id, String token) {
        questions.deleteOne(Filters.and(Filters.eq("_id", id), Filters.eq(CLAIM_TOKEN, token),
                Filters.eq(PUBLICATION, Publication.PUBLISHING.name())));
    }

    /** Notes that a claim's question was sent but not confirmed: it may be on Kafka, so the claim is kept. */
    public void markUnconfirmed(String id, String token) {
        questions.updateOne(Filters.and(Filters.eq("_id", id), Filters.eq(CLAIM_TOKEN, token)),
                Updates.set(PUBLICATION, Publication.UNCONFIRMED.name()));
    }

    /**
     * Records a question whose id nobody claimed (the server chose it) as sent but unconfirmed, so that its owner may
     * retry it under the same id (see {@link #claim}); does nothing if the id has a document already.
     */
    public void recordUnconfirmed(QuestionEvent question, String owner, Instant at) {
        List<Bson> updates = new ArrayList<>(List.of(
                Updates.setOnInsert("status", QuestionStatus.QUEUED.wireName()),
                Updates.setOnInsert("question", question.question()),
                Updates.setOnInsert("submittedAt", date(question.submittedAt() == null ? at : question.submittedAt())),
                Updates.setOnInsert("updatedAt", date(at)),
                Updates.setOnInsert(PUBLICATION, Publication.UNCONFIRMED.name()),
                Updates.setOnInsert(CLAIM_TOKEN, java.util.UUID.randomUUID().toString()),
                Updates.setOnInsert(CLAIMED_AT, date(at))));
        if (owner != null) {
            updates.add(Updates.setOnInsert("owner", owner));
        }
        questions.updateOne(Filters.eq("_id", question.id()), Updates.combine(updates), UPSERT);
    }

    private static Claim holderClaim(Document holder) {
        QuestionRecord record = toRecord(holder);
        String publication = holder.getString(PUBLICATION);
        // A worker that has seen the question has its word on it: it is on Kafka whatever the claim says.
        boolean seen = record.status() != QuestionStatus.QUEUED;
        Publication state = publication == null || seen ? Publication.CONFIRMED : Publication.valueOf(publication);
        return new Claim(false, holder.getString(CLAIM_TOKEN), record, state,
                state == Publication.CONFIRMED ? null : instant(holder.getDate(CLAIMED_AT)));
    }

    public Optional<QuestionRecord> find(String id) {
        return Optional.ofNullable(questions.find(Filters.eq("_id", id)).first()).map(QuestionDocuments::toRecord);
    }

    /**
     * The ended outcomes (answered or failed) among {@code ids}. A worker asks before answering, so that work
     * replayed after a crash republishes the stored outcome instead of asking the LLM again and storing a second,
     * different one: a question that a caller has seen end never ends again another way.
     */
    public Map<String, AnswerEvent> findAnswered(Collection<String> ids) {
        Map<String, AnswerEvent> answered = new HashMap<>();
        if (ids.isEmpty()) {
            return answered;
        }
        // By _id alone (an index look-up everywhere), the status checked here.
        for (Document document : questions.find(Filters.in("_id", ids))) {
            QuestionRecord record = toRecord(document);
            if (record.status() == QuestionStatus.FAILED) {
                answered.put(record.id(), AnswerEvent.failed(record.id(), record.question(), record.reason(),
                        record.answeredAt()));
                continue;
            }
            if (record.status() != QuestionStatus.ANSWERED) {
                continue;
            }
            answered.put(record.id(), AnswerEvent.answered(record.id(), record.question(), record.answer(),
                    record.sources(), record.answeredBy(), record.answeredAt()));
        }
        return answered;
    }
}
