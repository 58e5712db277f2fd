package io.breakwater.core.topic;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalogue's topics that do not exist yet. Idempotent: every service calls it at start, and a topic
 * that exists (made by another instance, or by an operator with other settings) is left as it is.
 */
public final class TopicAdmin {

    private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);
    private static final long TIMEOUT_SECONDS = 30;

    private TopicAdmin() {
    }

    /**
     * @throws IllegalStateException if the cluster cannot be reached or refuses to create a topic
     */
    public static void ensure(Admin admin, Collection<Topic<?, ?>> topics) {
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.stream()
                    .filter(topic -> !existing.contains(topic.name()))
                    .map(TopicAdmin::newTopic)
                    .toList();
            if (missing.isEmpty()) {
                return;
            }
            Map<String, org.apache.kafka.common.KafkaFuture<Void>> results = admin.createTopics(missing).values();
            for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> result : results.entrySet()) {
                try {
                    result.getValue().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    log.info("Created topic {}", result.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            awaitLeaders(admin, missing.stream().map(NewTopic::name).toList());
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot create Kafka topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within " + TIMEOUT_SECONDS
                    + " s while creating topics: is it reachable?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating Kafka topics", e);
        }
    }

    /**
     * Returns once every partition of the new topics is served by its leader: the leader's log exists, not merely its
     * name in the metadata. An idempotent producer that sends to a partition in the moment the broker applies its
     * creation can have its first two requests reordered: the first fails (not leader yet) and the second, arriving
     * after, is taken as the producer's first, since Kafka before 4.5 accepts any first sequence on a partition it has
     * no producer state for; every retry of the first is then out of sequence until its delivery timeout, and its
     * records are lost (KAFKA-15591, fixed in Kafka 4.5). A describe answers from the metadata cache, which can show
     * the leader before its log is made; a list of offsets is answered by the leader's log itself.
     */
    private static void awaitLeaders(Admin admin, List<String> topics)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
                        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                boolean led = described.values().stream().allMatch(description -> description.partitions().stream()
                        .allMatch(partition -> partition.leader() != null));
                if (led) {
                    Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                    described.values().forEach(description -> description.partitions().forEach(partition ->
                            partitions.put(new TopicPartition(description.name(), partition.partition()),
                                    OffsetSpec.latest())));
                    admin.listOffsets(partitions).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    return;
                }
            } catch (ExecutionException e) {
                // Not known to every broker yet, or its log not made yet: ask again.
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("the new topics are not served after " + TIMEOUT_SECONDS + " s");
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private static NewTopic newTopic(Topic<?, ?> topic) {
        TopicSpec spec = topic.spec();
        return new NewTopic(topic.name(), spec.partitions(), spec.replicationFactor()).configs(spec.configs());
    }
}
