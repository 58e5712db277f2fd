package io.breakwater.launcher.faults;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import com.fasterxml.jackson.databind.JsonNode;

import io.breakwater.core.event.EventJson;

/**
 * Everything a fault-injection run saw, gathered after it quiesced, for {@link HistoryChecker}.
 *
 * @param accepted question ids the pipeline accepted (a 202, or a record acknowledged on the questions topic)
 * @param indeterminate question ids sent with no answer either way (a timeout, a 5xx): each may end, once, or not
 * @param records every committed record seen on the pipeline's topics, in the order read
 * @param answersTopic the topic whose records are the questions' outcomes
 * @param storedStatus each question's status in MongoDB ({@code answered}, {@code failed}, {@code parked}, ...); a
 *                     missing id has no document
 * @param llmAnswers per question id, how many LLM calls returned an answer the worker could have used
 * @param repeatFaults faults after which a question may be asked of the LLM once more (kills, aborts, freezes)
 * @param inFlightPerFault the most questions one such fault can catch mid-call (the worker's concurrency)
 * @param crawlAccepted crawl job ids accepted
 * @param crawlStatus each crawl job's status in MongoDB
 */
public record History(Set<String> accepted, Set<String> indeterminate, List<Observed> records, String answersTopic,
                      Map<String, String> storedStatus, Map<String, Integer> llmAnswers, int repeatFaults,
                      int inFlightPerFault, Set<String> crawlAccepted, Map<String, String> crawlStatus) {

    public History {
        accepted = Set.copyOf(accepted);
        indeterminate = Set.copyOf(indeterminate);
        records = List.copyOf(records);
        storedStatus = Map.copyOf(storedStatus);
        llmAnswers = Map.copyOf(llmAnswers);
        crawlAccepted = Set.copyOf(crawlAccepted);
        crawlStatus = Map.copyOf(crawlStatus);
    }

    /**
     * One committed record as read, with its headers as text.
     *
     * @param id the question or job id it is about: its key, or the {@code id} of its JSON value when the key is
     *           something else
     * @param status the {@code status} field of its JSON value, if any
     */
    public record Observed(String topic, int partition, long offset, String id, String status,
                           Map<String, String> headers, String value) {

        /** A committed record as read: its id from the key, or from the JSON value's {@code id} if it has one. */
        public static Observed of(ConsumerRecord<byte[], byte[]> record) {
            String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            String value = record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
            String status = null;
            String id = key;
            try {
                JsonNode json = EventJson.mapper().readTree(value);
                status = json.hasNonNull("status") ? json.get("status").asText() : null;
                if (json.hasNonNull("id")) {
                    id = json.get("id").asText();
                }
            } catch (Exception e) {
                // not JSON: a dead letter's original bytes, say
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (Header header : record.headers()) {
                headers.merge(header.key(), header.value() == null ? "null" : new String(header.value(), StandardCharsets.UTF_8),
                        (a, b) -> a + "|" + b);
            }
            return new Observed(record.topic(), record.partition(), record.offset(), id, status, headers, value);
        }

        @Override
        public String toString() {
            String shown = value == null ? "null" : value.length() > 300 ? value.substring(0, 300) + "..." : value;
            return topic + "-" + partition + "@" + offset + " status=" + status + " headers=" + headers + " value=" + shown;
        }
    }
}
