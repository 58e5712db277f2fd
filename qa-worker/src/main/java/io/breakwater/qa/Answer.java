package io.breakwater.qa;

import java.util.List;
import java.util.Objects;

import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.Source;

/** What an answerer said, the pages it drew on, and what it was. */
public record Answer(String text, List<Source> sources, AnsweredBy answeredBy) {

    public Answer {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(answeredBy, "answeredBy");
        sources = List.copyOf(sources);
    }
}
