package io.breakwater.core.config;

/**
 * The consumer groups of the workers, which the workers join and the API's dashboard reads the lag of: each
 * worker's input group, and its replay group ({@code <group>-replay}) on the parked topic.
 */
public final class WorkerGroups {

    public static final String DEFAULT_QA = "breakwater-qa-worker";
    public static final String DEFAULT_CRAWLER = "breakwater-crawler-worker";

    private WorkerGroups() {
    }

    /** {@code qa.group} ({@code BW_QA_GROUP}). */
    public static String qa(Settings settings) {
        return settings.string("qa.group", DEFAULT_QA);
    }

    /** {@code crawler.group} ({@code BW_CRAWLER_GROUP}). */
    public static String crawler(Settings settings) {
        return settings.string("crawler.group", DEFAULT_CRAWLER);
    }

    /** The group that replays {@code group}'s parked work. */
    public static String replayOf(String group) {
        return group + "-replay";
    }
}
