package io.breakwater.launcher;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

/**
 * {@code breakwater dlq list <topic>} and {@code breakwater dlq replay <topic> [--reason R] [--limit N]}: what a
 * dead-letter topic holds and why, and putting letters back once the cause is fixed.
 */
final class DeadLetterCommand {

    static final String USAGE = String.join(System.lineSeparator(),
            "Usage: breakwater dlq list <topic> [--examples N]",
            "       breakwater dlq replay <topic> [--reason REASON] [--limit N]");
    private static final int DEFAULT_EXAMPLES = 5;

    private DeadLetterCommand() {
    }

    /** @return the exit code */
    static int run(List<String> args, Settings settings, PrintStream out) {
        if (args.size() < 2 || !List.of("list", "replay").contains(args.get(0))) {
            out.println(USAGE);
            return 2;
        }
        Map<String, String> options;
        try {
            options = options(args.subList(2, args.size()));
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage() + System.lineSeparator() + USAGE);
            return 2;
        }
        KafkaSettings kafka = KafkaSettings.from(settings);
        Topics topics = Topics.from(settings);
        try (Admin admin = KafkaClients.createAdmin(kafka, "breakwater-dlq-admin")) {
            TopicAdmin.ensure(admin, topics.all());
        }
        String topic = args.get(1);
        boolean reopensQuestions = args.get(0).equals("replay")
                && topics.homeOf(topic).filter(topics.questions().name()::equals).isPresent();
        // Failed questions are opened again in the store before their letters go back: that, not a header, is what
        // has a worker answer them afresh.
        MongoSettings store = MongoSettings.from(settings);
        try (MongoClient mongo = reopensQuestions ? MongoConnections.open(store) : null) {
            DeadLetterQueue queue = new DeadLetterQueue(kafka, topics,
                    mongo == null ? null : new QuestionStore(mongo.getDatabase(store.database())));
            if (args.get(0).equals("list")) {
                print(queue.summarize(topic, integer(options, "examples", DEFAULT_EXAMPLES)), out);
            } else {
                DeadLetterQueue.Replay replay = queue.replay(topic, Optional.ofNullable(options.get("reason")),
                        integer(options, "limit", Integer.MAX_VALUE));
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

    private static Map<String, String> options(List<String> args) {
        Map<String, String> options = new java.util.HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String name = args.get(i);
            if (!name.startsWith("--") || i + 1 >= args.size()) {
                throw new IllegalArgumentException("Unexpected argument '" + name + "'.");
            }
            options.put(name.substring(2), args.get(++i));
        }
        return options;
    }

    private static int integer(Map<String, String> options, String name, int fallback) {
        String value = options.get(name);
        try {
            int parsed = value == null ? fallback : Integer.parseInt(value);
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, 0 or more, but was '" + value + "'.");
        }
    }
}
