package io.breakwater.core.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;

import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.QuestionEvent;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.event.Source;

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
                updates.add(Updates.setOnInsert("owner", queued.owner()));
            }
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
     * Records questions as parked, in one round trip. A question that has an answer stays answered even so (see
     * {@link #toRecord}): a replayed question that found its answer stored is never parked, but two loops may race on
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

    public Optional<QuestionRecord> find(String id) {
        return Optional.ofNullable(questions.find(Filters.eq("_id", id)).first()).map(QuestionStore::toRecord);
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

    private static Bson outcomeUpdate(AnswerEvent outcome) {
        Instant at = outcome.answeredAt() == null ? Instant.now() : outcome.answeredAt();
        List<Bson> updates = new ArrayList<>();
        updates.add(Updates.set("status", outcome.status().wireName()));
        updates.add(Updates.set("answeredAt", date(at)));
        updates.add(Updates.set("updatedAt", date(Instant.now())));
        updates.add(Updates.setOnInsert("submittedAt", date(at)));
        updates.add(Updates.unset("parkCount"));
        updates.add(Updates.unset("nextAttemptAt"));
        if (outcome.question() != null) {
            updates.add(Updates.set("question", outcome.question()));
        }
        if (outcome.status() == QuestionStatus.ANSWERED) {
            updates.add(Updates.set("answer", outcome.answer()));
            updates.add(Updates.set("sources", outcome.sources().stream()
                    .map(source -> new Document("url", source.url()).append("title", source.title())).toList()));
            updates.add(Updates.set("answeredBy", new Document("kind", outcome.answeredBy().kind())
                    .append("model", outcome.answeredBy().model())));
            updates.add(Updates.unset("reason"));
        } else {
            updates.add(Updates.set("reason", outcome.reason()));
        }
        return Updates.combine(updates);
    }

    /**
     * A stored question as it reads. An answer, once stored, is final: a question that has one reads as answered
     * whatever a later, racing park wrote over its status, so it is never answered twice.
     */
    private static QuestionRecord toRecord(Document document) {
        List<Source> sources = new ArrayList<>();
        for (Document source : document.getList("sources", Document.class, List.of())) {
            sources.add(new Source(source.getString("url"), source.getString("title")));
        }
        Document by = document.get("answeredBy", Document.class);
        QuestionStatus status = document.getString("answer") != null && by != null ? QuestionStatus.ANSWERED
                : QuestionStatus.fromWireName(document.getString("status"));
        return new QuestionRecord(
                document.getString("_id"),
                status,
                document.getString("question"),
                document.getString("answer"),
                sources,
                by == null ? null : new AnsweredBy(by.getString("kind"), by.getString("model")),
                document.getString("reason"),
                document.getInteger("parkCount"),
                instant(document.getDate("nextAttemptAt")),
                instant(document.getDate("submittedAt")),
                instant(document.getDate("answeredAt")),
                instant(document.getDate("updatedAt")),
                document.getString("owner"));
    }

    private static Date date(Instant instant) {
        return Date.from(instant);
    }

    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }
}
