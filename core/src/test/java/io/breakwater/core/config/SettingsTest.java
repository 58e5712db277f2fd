package io.breakwater.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @TempDir
    Path dir;

    @Test
    void shouldTakeDefaultsThenFileThenEnvironmentThenOverrides() throws IOException {
        Path file = write("kafka.bootstrap=file:9092\nmongo.database=from-file\nmongo.uri=mongodb://file:27017\n");
        Map<String, String> env = Map.of(
                Settings.CONFIG_FILE_VARIABLE, file.toString(),
                "BW_MONGO_DATABASE", "from-env");

        Settings settings = Settings.load(env);

        assertThat(settings.string("topic.prefix", "default")).isEqualTo("default");
        assertThat(settings.string("kafka.bootstrap", "default")).isEqualTo("file:9092");
        assertThat(settings.string("mongo.database", "default")).isEqualTo("from-env");
        assertThat(settings.with("mongo.database", "override").string("mongo.database", "default")).isEqualTo("override");
    }

    @Test
    void shouldReadAFileWrittenWithVariableNames() throws IOException {
        Path file = write("BW_BREAKER_LLM_SERVICE_FAILURES=7\n");

        Settings settings = Settings.load(Map.of(Settings.CONFIG_FILE_VARIABLE, file.toString()));

        assertThat(BreakerSettings.from(settings, Dependencies.LLM_SERVICE).failureThreshold()).isEqualTo(7);
    }

    @Test
    void shouldNameEachKeysVariable() {
        assertThat(Settings.variableName("breaker.llm_service.open.seconds")).isEqualTo("BW_BREAKER_LLM_SERVICE_OPEN_SECONDS");
        assertThat(Settings.variableName("kafka.bootstrap")).isEqualTo("BW_KAFKA_BOOTSTRAP");
    }

    @Test
    void shouldPassKafkaClientPropertiesThroughFromFileAndEnvironment() throws IOException {
        Path file = write("kafka.client.sasl.mechanism=PLAIN\nkafka.client.security.protocol=SASL_PLAINTEXT\n");
        Map<String, String> env = Map.of(
                Settings.CONFIG_FILE_VARIABLE, file.toString(),
                "BW_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
                "BW_KAFKA_BOOTSTRAP", "broker:9093");

        KafkaSettings kafka = KafkaSettings.from(Settings.load(env));

        assertThat(kafka.bootstrapServers()).isEqualTo("broker:9093");
        assertThat(kafka.clientProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "sasl.mechanism", "PLAIN",
                "security.protocol", "SASL_SSL"));
    }

    @Test
    void shouldReadBreakerFiguresWithDecimalSeconds() {
        Settings settings = Settings.load(Map.of(
                "BW_BREAKER_LLM_SERVICE_FAILURES", "3",
                "BW_BREAKER_LLM_SERVICE_OPEN_SECONDS", "0.25",
                "BW_BREAKER_LLM_SERVICE_TIMEOUT_SECONDS", "2"));

        BreakerSettings breaker = BreakerSettings.from(settings, Dependencies.LLM_SERVICE);

        assertThat(breaker.name()).isEqualTo("llm_service");
        assertThat(breaker.failureThreshold()).isEqualTo(3);
        assertThat(breaker.openDuration()).isEqualTo(Duration.ofMillis(250));
        assertThat(breaker.callTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(breaker.maxRetries()).isEqualTo(Dependencies.LLM_SERVICE.maxRetries());
    }

    @Test
    void shouldSayWhichSettingIsWrongAndWhatItWas() {
        Settings settings = Settings.load(Map.of("BW_BREAKER_LLM_SERVICE_FAILURES", "many"));

        assertThatThrownBy(() -> BreakerSettings.from(settings, Dependencies.LLM_SERVICE))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Setting breaker.llm_service.failures (BW_BREAKER_LLM_SERVICE_FAILURES) must be a whole"
                        + " number but was 'many'");
    }

    @Test
    void shouldRejectAZeroFailureThreshold() {
        Settings settings = Settings.load(Map.of("BW_BREAKER_LLM_SERVICE_FAILURES", "0"));

        assertThatThrownBy(() -> BreakerSettings.from(settings, Dependencies.LLM_SERVICE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("must be at least 1 but was '0'");
    }

    @Test
    void shouldRejectNegativeSeconds() {
        Settings settings = Settings.load(Map.of("BW_BREAKER_LLM_SERVICE_OPEN_SECONDS", "-1"));

        assertThatThrownBy(() -> BreakerSettings.from(settings, Dependencies.LLM_SERVICE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("BW_BREAKER_LLM_SERVICE_OPEN_SECONDS");
    }

    @Test
    void shouldSayWhenTheNamedFileIsMissing() {
        Map<String, String> env = Map.of(Settings.CONFIG_FILE_VARIABLE, dir.resolve("absent.properties").toString());

        assertThatThrownBy(() -> Settings.load(env))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Cannot read the settings file")
                .hasMessageContaining("absent.properties");
    }

    @Test
    void shouldTreatABlankValueAsUnset() {
        Settings settings = Settings.load(Map.of("BW_KAFKA_BOOTSTRAP", "  "));

        assertThat(settings.isSet("kafka.bootstrap")).isFalse();
        assertThat(KafkaSettings.from(settings).bootstrapServers()).isEqualTo(KafkaSettings.DEFAULT_BOOTSTRAP);
    }

    @Test
    void shouldRejectAMongoUriThatIsNotOne() {
        Settings settings = Settings.load(Map.of("BW_MONGO_URI", "localhost:27017"));

        assertThatThrownBy(() -> MongoSettings.from(settings))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("BW_MONGO_URI")
                .hasMessageContaining("mongodb://");
    }

    private Path write(String content) throws IOException {
        Path file = dir.resolve("breakwater.properties");
        Files.writeString(file, content);
        return file;
    }
}
