package io.breakwater.core.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.model.Updates;

import io.breakwater.core.event.AnswerEvent;
import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.QuestionStatus;
import io.breakwater.core.event.Source;

/** A question's document in MongoDB, read and written: the one place that knows its field names for outcomes. */
final class QuestionDocuments {

    private QuestionDocuments() {
    }

    /** The update that records {@code outcome}: an answer replaces a failure and the other way round. */
    static Bson outcomeUpdate(AnswerEvent outcome) {
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
            Document by = new Document("kind", outcome.answeredBy().kind()).append("model", outcome.answeredBy().model());
            if (outcome.answeredBy().withoutContext() != null) {
                by.append("withoutContext", outcome.answeredBy().withoutContext());
            }
            if (outcome.answeredBy().depth() != null) {
                by.append("depth", outcome.answeredBy().depth());
            }
            updates.add(Updates.set("answeredBy", by));
            updates.add(Updates.unset("reason"));
        } else {
            updates.add(Updates.set("reason", outcome.reason()));
            // A failure may replace an answer stored before a commit that could not publish it: an answer left
            // behind would still read as answered.
            updates.add(Updates.unset("answer"));
            updates.add(Updates.unset("sources"));
            updates.add(Updates.unset("answeredBy"));
        }
        return Updates.combine(updates);
    }

    /**
     * A stored question as it reads. An answer, once stored, is final: a question that has one reads as answered
     * whatever a later, racing park wrote over its status, so it is never answered twice.
     */
    static QuestionRecord toRecord(Document document) {
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
                by == null ? null : new AnsweredBy(by.getString("kind"), by.getString("model"),
                        by.getString("withoutContext"), depth(by.get("depth"))),
                document.getString("reason"),
                document.getInteger("parkCount"),
                instant(document.getDate("nextAttemptAt")),
                instant(document.getDate("submittedAt")),
                instant(document.getDate("answeredAt")),
                instant(document.getDate("updatedAt")),
                document.getString("owner"));
    }

    /**
     * The deployment depth as stored, if it reads as one: only informative, so a value written by hand (a long, a
     * double, a negative or absurd number) is dropped rather than making the whole answer unreadable.
     */
    static Integer depth(Object stored) {
        return stored instanceof Number number && number.doubleValue() >= 0 && number.doubleValue() <= 1_000
                && number.doubleValue() == Math.floor(number.doubleValue()) ? number.intValue() : null;
    }

    static Date date(Instant instant) {
        return Date.from(instant);
    }

    static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }
}
