package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.breakwater.core.breaker.BreakerPolicy;
import io.breakwater.core.config.Dependencies;
import io.breakwater.core.health.BreakerState;

/** Retrieval through the seed's vector_db breaker: a failing index costs a question its context, never the question. */
class RetrievalTest {

    private static final Passage PAGE = new Passage("http://harbour.example/a", "A", "The breakwater is 812 metres long.");

    private final BreakerPolicy breaker = new BreakerPolicy(Dependencies.VECTOR_DB);

    @Test
    void shouldGiveTheBestMatchesWhileTheIndexAnswers() {
        Retrieval.Context context = new Retrieval(breaker, question -> List.of(PAGE), 1).forQuestion("How long?");

        assertThat(context.passages()).containsExactly(PAGE);
        assertThat(context.missing()).isEmpty();
    }

    @Test
    void shouldGoOnWithoutContextWhenTheIndexFailsAndOpenAfterTheSeedsFiveFailures() {
        AtomicInteger searches = new AtomicInteger();
        Retrieval retrieval = new Retrieval(breaker, question -> {
            searches.incrementAndGet();
            throw new IllegalStateException("index closed");
        }, 1);

        for (int i = 0; i < 5; i++) {
            Retrieval.Context context = retrieval.forQuestion("Too many words " + i);
            assertThat(context.passages()).isEmpty();
            assertThat(context.missing()).hasValueSatisfying(why -> assertThat(why).contains("vector_db failed")
                    .contains("index closed"));
        }
        assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);

        Retrieval.Context whileOpen = retrieval.forQuestion("And now?");
        assertThat(whileOpen.missing()).hasValueSatisfying(why -> assertThat(why).contains("vector_db is open"));
        assertThat(searches).as("no search while the breaker is open").hasValue(5);
    }

    @Test
    void shouldNotCountAQuestionTheIndexCannotSearchAgainstTheBreaker() {
        Retrieval retrieval = new Retrieval(breaker, question -> {
            throw new io.breakwater.core.breaker.DependencyRejectedException("too many terms to search");
        }, 1);

        for (int i = 0; i < 10; i++) {
            assertThat(retrieval.forQuestion("Too many words " + i).missing()).isPresent();
        }
        assertThat(breaker.state()).as("the question's fault, not the index's").isEqualTo(BreakerState.CLOSED);
    }
}
