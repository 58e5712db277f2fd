package io.breakwater.qa;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.Source;

/**
 * What an answerer said, the pages it drew on, and what it was.
 *
 * @param pause how long its deployment asked, by the quota it has left, to be left alone after this answer; empty if
 *     it did not ({@link RemainingQuota})
 */
public record Answer(String text, List<Source> sources, AnsweredBy answeredBy, Optional<Duration> pause) {

    public Answer {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(answeredBy, "answeredBy");
        Objects.requireNonNull(pause, "pause");
        sources = List.copyOf(sources);
    }

    /** An answer that asks for no pause. */
    public Answer(String text, List<Source> sources, AnsweredBy answeredBy) {
        this(text, sources, answeredBy, Optional.empty());
    }

    /** The same answer, said to come from the deployment at {@code depth}. */
    Answer atDepth(int depth) {
        return new Answer(text, sources, answeredBy.atDepth(depth), pause);
    }
}
