package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.Source;

class OfflineAnswererTest {

    private final OfflineAnswerer answerer = new OfflineAnswerer();

    private static final Passage BREAKERS = new Passage("https://example.org/breakers", "Circuit breakers",
            "A circuit breaker stops calls to a failing dependency. After a cool-down it lets one trial call through."
                    + " Hystrix popularised the pattern at Netflix.");
    private static final Passage KAFKA = new Passage("https://example.org/kafka", "Kafka",
            "Kafka stores records in partitions. Consumers in a group share the partitions of a topic.");

    @Test
    void shouldQuoteTheSentencesThatShareTheQuestionsRarestWordsAndCiteTheirPage() {
        Answer answer = answerer.answer("Who popularised the circuit breaker pattern?", List.of(KAFKA, BREAKERS));

        assertThat(answer.text()).contains("Hystrix popularised the pattern at Netflix.");
        assertThat(answer.text()).doesNotContain("Kafka");
        assertThat(answer.sources()).containsExactly(new Source(BREAKERS.url(), BREAKERS.title()));
        assertThat(answer.answeredBy().kind()).isEqualTo(AnsweredBy.OFFLINE);
    }

    @Test
    void shouldNotRunAHeadingIntoTheSentenceAfterIt() {
        Answer answer = new OfflineAnswerer().answer("How long is the Lirwick breakwater?", List.of(new Passage(
                "https://a.example/lirwick", "Lirwick", "Lirwick harbour\n\nThe Lirwick breakwater is 812 metres long.")));

        assertThat(answer.text()).isEqualTo("The Lirwick breakwater is 812 metres long.");
    }

    @Test
    void shouldCiteEveryPageItQuotes() {
        Answer answer = answerer.answer("How do consumers share partitions, and when does a breaker stop calls?",
                List.of(KAFKA, BREAKERS));

        assertThat(answer.sources()).extracting(Source::url)
                .containsExactlyInAnyOrder(KAFKA.url(), BREAKERS.url());
    }

    @Test
    void shouldSayHonestlyThatItHasNothingToQuoteWithoutContext() {
        Answer answer = answerer.answer("What is the capital of France?", List.of());

        assertThat(answer.text()).isEqualTo(OfflineAnswerer.NO_CONTEXT).contains("BW_LLM_URL");
        assertThat(answer.sources()).isEmpty();
        assertThat(answer.answeredBy()).isEqualTo(new AnsweredBy(AnsweredBy.OFFLINE, OfflineAnswerer.MODEL));
    }

    @Test
    void shouldSayHonestlyWhenNoPageMentionsTheQuestion() {
        Answer answer = answerer.answer("What is the capital of France?", List.of(KAFKA, BREAKERS));

        assertThat(answer.text()).isEqualTo(OfflineAnswerer.NO_MATCH);
        assertThat(answer.sources()).isEmpty();
    }
}
