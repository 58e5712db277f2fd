package io.breakwater.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.breakwater.core.config.Settings;
import io.breakwater.core.pipeline.WorkHeaders;
import io.breakwater.core.topic.Topics;
import io.breakwater.testkit.EmbeddedServers;
import io.breakwater.testkit.EmbeddedServersExtension;
import io.breakwater.testkit.TopicProbe;

@ExtendWith(EmbeddedServersExtension.class)
class DeadLetterCommandIT {

    @Test
    void shouldListDeadLettersByReasonAndReplayEachOnce(EmbeddedServers servers) {
        String run = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        Settings settings = Settings.of(Map.of(
                "kafka.bootstrap", servers.bootstrapServers(),
                "mongo.uri", servers.mongoUri(),
                "mongo.database", run,
                "topic.prefix", run + "."));
        Topics topics = Topics.from(settings);
        String dlq = topics.questionsDeadLetter().name();
        assertThat(run(settings, "list", dlq)).contains(dlq + ": 0 dead letter(s)");

        Headers headers = new RecordHeaders();
        WorkHeaders.set(headers, WorkHeaders.REASON, "park-limit");
        WorkHeaders.set(headers, WorkHeaders.ERROR_MESSAGE, "llm_service failed 6 attempts (park limit 5); last: HTTP 500");
        WorkHeaders.set(headers, WorkHeaders.ORIGIN_TOPIC, topics.questions().name());
        new TopicProbe(servers.bootstrapServers()).publish(dlq, "q-1".getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"q-1\",\"question\":\"Again?\"}".getBytes(StandardCharsets.UTF_8), headers);

        assertThat(run(settings, "list", dlq))
                .contains(dlq + ": 1 dead letter(s), 0 of them replayed already")
                .containsPattern("park-limit\\s+1")
                .contains("key=q-1", "from " + topics.questions().name(), "llm_service failed 6 attempts");
        assertThat(run(settings, "replay", dlq, "--reason", "park-limit"))
                .startsWith("Replayed 1 dead letter(s) from " + dlq + " to {" + topics.questions().name() + "=1}");
        assertThat(run(settings, "replay", dlq)).startsWith("Replayed 0 dead letter(s) from " + dlq + "; 1 replayed before");
        assertThat(run(settings, "replay", dlq, "--limit", "many")).contains("Invalid value for option '--limit': 'many' is not an int");
        assertThat(run(settings, "replay", "--limit", "-1", dlq)).contains("--limit must be a whole number, 0 or more, but was -1");
    }

    private static String run(Settings settings, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] command = new String[args.length + 1];
        command[0] = "dlq";
        System.arraycopy(args, 0, command, 1, args.length);
        Breakwater.execute(settings, new PrintStream(out, true, StandardCharsets.UTF_8), command);
        return out.toString(StandardCharsets.UTF_8);
    }
}
