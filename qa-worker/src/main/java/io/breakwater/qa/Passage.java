package io.breakwater.qa;

import java.util.Objects;

/** A piece of a crawled page given to an answerer as context. */
public record Passage(String url, String title, String text) {

    public Passage {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(text, "text");
        title = title == null ? "" : title;
    }
}
