package io.breakwater.core.event;

import java.util.Objects;

/** A page an answer draws on. */
public record Source(String url, String title) {

    public Source {
        Objects.requireNonNull(url, "source url");
        title = title == null ? "" : title;
    }
}
