package io.breakwater.bench;

/** How big a run is: {@code FULL} about 14 minutes here, {@code QUICK} about 5, {@code TINY} seconds (the smoke test). */
enum Scale {
    TINY, QUICK, FULL;

    /** The value for this scale. */
    int pick(int tiny, int quick, int full) {
        return switch (this) {
            case TINY -> tiny;
            case QUICK -> quick;
            case FULL -> full;
        };
    }
}
