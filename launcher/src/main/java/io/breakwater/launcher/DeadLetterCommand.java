package io.breakwater.launcher;

import java.io.PrintStream;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.Admin;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;

import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.config.MongoSettings;
import io.breakwater.core.config.Settings;
import io.breakwater.core.kafka.KafkaClients;
import io.breakwater.core.park.DeadLetterQueue;
import io.breakwater.core.store.MongoConnections;
import io.breakwater.core.store.QuestionStore;
import io.breakwater.core.topic.TopicAdmin;
import io.breakwater.core.topic.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code breakwater dlq list <topic>} and {@code breakwater dlq replay <topic> [--reason R] [--limit N]}: what a
 * dead-letter topic holds and why, and putting letters back once the cause is fixed.
 */
@Command(name = "dlq", description = {"Lists dead letters, or replays them once the cause is fixed."})
final class DeadLetterCommand implements Runnable {

    private static final int DEFAULT_EXAMPLES = 5;

    private final Supplier<Settings> settings;
    private final PrintStream out;

    @Spec
    private CommandSpec spec;

    DeadLetterCommand(Supplier<Settings> settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Say what to do: list or replay.");
    }

    @Command(name = "list", description = "Counts a dead-letter topic's letters by reason, with a few examples.")
    int list(@Parameters(paramLabel = "TOPIC", description = "a dead-letter topic, for example qa.questions.dlq")
             String topic,
             @Option(names = "--examples", paramLabel = "N", defaultValue = "" + DEFAULT_EXAMPLES,
                     description = "how many letters to show (default: ${DEFAULT-VALUE})") int examples) {
        return run(topic, false, Optional.empty(), atLeastZero("--examples", examples));
    }

    @Command(name = "replay", description = "Puts dead letters back on their origin topic, once each; failed questions"
            + " are opened again in the store first.")
    int replay(@Parameters(paramLabel = "TOPIC", description = "a dead-letter topic, for example qa.questions.dlq")
               String topic,
               @Option(names = "--reason", paramLabel = "REASON", description = "only letters of this reason")
               String reason,
               @Option(names = "--limit", paramLabel = "N", description = "at most this many letters") Integer limit) {
        return run(topic, true, Optional.ofNullable(reason),
                limit == null ? Integer.MAX_VALUE : atLeastZero("--limit", limit));
    }

    private int atLeastZero(String option, int value) {
        if (value < 0) {
            throw new ParameterException(spec.commandLine(), option + " must be a whole number, 0 or more, but was "
                    + value + ".");
        }
        return value;
    }

    /** @return the exit code */
    private int run(String topic, boolean replaying, Optional<String> reason, int count) {
        Settings settings = this.settings.get();
        KafkaSettings kafka = KafkaSettings.from(settings);
        Topics topics = Topics.from(settings);
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-dlq-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        boolean reopensQuestions = replaying
                && topics.homeOf(topic).filter(topics.questions().name()::equals).isPresent();
        // Failed questions are opened again in the store before their letters go back: that, not a header, is what
        // has a worker answer them afresh.
        MongoSettings store = MongoSettings.from(settings);
        try (MongoClient mongo = reopensQuestions ? MongoConnections.open(store) : null) {
            DeadLetterQueue queue = new DeadLetterQueue(kafka, topics,
                    mongo == null ? null : new QuestionStore(mongo.getDatabase(store.database())));
            if (!replaying) {
                print(queue.summarize(topic, count), out);
            } else {
                DeadLetterQueue.Replay replay = queue.replay(topic, reason, count);
                out.printf("Replayed %d dead letter(s) from %s%s; %d replayed before, %d of another reason, %d beyond"
                                + " the limit, %d without an origin topic, %d without a value.%n", replay.replayed(), topic,
                        replay.byOriginTopic().isEmpty() ? "" : " to " + replay.byOriginTopic(), replay.alreadyReplayed(),
                        replay.notMatching(), replay.beyondLimit(), replay.withoutOrigin(), replay.withoutValue());
            }
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            out.println(e.getMessage());
            return 1;
        } catch (MongoException e) {
            out.println("Nothing was replayed: the question store (" + store.uri() + ") cannot"
                    + " be reached to open the failed questions again: " + e.getMessage());
            return 1;
        }
    }

    private static void print(DeadLetterQueue.Summary summary, PrintStream out) {
        out.printf("%s: %d dead letter(s), %d of them replayed already%n", summary.topic(), summary.total(),
                summary.replayed());
        if (summary.total() == 0) {
            return;
        }
        out.printf("%n  %-16s %s%n", "reason", "count");
        summary.byReason().forEach((reason, count) -> out.printf("  %-16s %d%n", reason, count));
        out.printf("%nExamples:%n");
        for (DeadLetterQueue.Letter letter : summary.examples()) {
            out.printf("  %d@%d  key=%s  %s%s  from %s at %s%n      %s%n", letter.partition(), letter.offset(),
                    letter.key(), letter.reason(), letter.replayed() ? " (replayed)" : "", letter.originTopic(),
                    letter.deadLetteredAt(), letter.errorMessage());
        }
    }
}
