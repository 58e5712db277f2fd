package io.breakwater.core.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where a question stands, as clients see it. Written in lower case. */
public enum QuestionStatus {
    /** Accepted onto Kafka, not yet answered. */
    QUEUED,
    /** Waiting for a dependency that is down; it will be answered when it recovers. */
    PARKED,
    /** Answered; the answer and its sources are there. */
    ANSWERED,
    /** Ended without an answer; the reason says why. */
    FAILED;

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static QuestionStatus fromWireName(String name) {
        return WireNames.parse(QuestionStatus.class, "status", name);
    }
}
