package io.breakwater.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class QuestionFeedTest {

    /** Runs {@code between} once, right after the next computeIfAbsent or compute: where another thread could run. */
    private static final class Interleaving extends ConcurrentHashMap<String, Set<QuestionFeed.Waiter>> {

        Runnable between;

        @Override
        public Set<QuestionFeed.Waiter> computeIfAbsent(String key,
                Function<? super String, ? extends Set<QuestionFeed.Waiter>> mapping) {
            Set<QuestionFeed.Waiter> result = super.computeIfAbsent(key, mapping);
            runBetween();
            return result;
        }

        @Override
        public Set<QuestionFeed.Waiter> compute(String key, BiFunction<? super String, ? super Set<QuestionFeed.Waiter>,
                ? extends Set<QuestionFeed.Waiter>> remapping) {
            Set<QuestionFeed.Waiter> result = super.compute(key, remapping);
            runBetween();
            return result;
        }

        private void runBetween() {
            Runnable once = between;
            between = null;
            if (once != null) {
                once.run();
            }
        }
    }

    @Test
    void shouldWakeAWaiterThatJoinedWhileTheLastOtherWaiterForTheSameIdLeft() {
        Interleaving waiting = new Interleaving();
        QuestionFeed feed = new QuestionFeed("qa.answers", waiting);
        CompletableFuture<QuestionFeed.News> leaving = feed.next("q1", EnumSet.of(QuestionFeed.News.ENDED));

        // Given the only other waiter for q1 gives up just as a new one joins (a long poll timing out, say)
        waiting.between = () -> leaving.cancel(false);
        CompletableFuture<QuestionFeed.News> joining = feed.next("q1", EnumSet.of(QuestionFeed.News.ENDED));

        // When q1's answer arrives
        feed.apply(new ConsumerRecord<>("qa.answers", 0, 0, "q1".getBytes(StandardCharsets.UTF_8), new byte[0]));

        // Then the one that joined hears of it
        assertThat(joining).isCompletedWithValue(QuestionFeed.News.ENDED);
        assertThat(waiting).as("nobody waits any more").isEmpty();
    }

    @Test
    void shouldRefuseWaitersBeyondItsBoundWith503AndTakeNewOnesOnceOthersLeave() {
        QuestionFeed feed = new QuestionFeed("qa.answers", new ConcurrentHashMap<>(), 2);
        CompletableFuture<QuestionFeed.News> first = feed.next("a", EnumSet.of(QuestionFeed.News.ENDED));
        feed.next("b", EnumSet.of(QuestionFeed.News.ENDED));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> feed.next("c", EnumSet.of(QuestionFeed.News.ENDED)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503));
        first.cancel(false);

        assertThat(feed.next("c", EnumSet.of(QuestionFeed.News.ENDED))).isNotDone();
    }

    @Test
    void shouldForgetAnIdOnceItsLastWaiterLeaves() {
        Map<String, Set<QuestionFeed.Waiter>> waiting = new ConcurrentHashMap<>();
        QuestionFeed feed = new QuestionFeed("qa.answers", waiting);

        feed.next("q2", EnumSet.of(QuestionFeed.News.ENDED)).cancel(false);

        assertThat(waiting).isEmpty();
    }
}
