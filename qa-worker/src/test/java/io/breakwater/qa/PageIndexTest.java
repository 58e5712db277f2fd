package io.breakwater.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.breakwater.core.crawl.CrawledPage;

class PageIndexTest {

    private final PageIndex index = new PageIndex();

    @AfterEach
    void close() {
        index.close();
    }

    @Test
    void shouldFindThePassageThatHoldsTheAnswerFirst() {
        index.put(CrawledPage.of("https://a.example/harbour", "Lirwick harbour",
                "The harbour has two basins.\n\nThe Lirwick breakwater was finished in 1923 and is 812 metres long.", null));
        index.put(CrawledPage.of("https://b.example/tides", "Tides", "Spring tides rise highest after a full moon.", null));
        index.refresh();

        List<Passage> found = index.search("How long is the Lirwick breakwater?", 4);

        assertThat(found).isNotEmpty();
        assertThat(found.get(0).url()).isEqualTo("https://a.example/harbour");
        assertThat(found.get(0).title()).isEqualTo("Lirwick harbour");
        assertThat(found.get(0).text()).contains("812 metres");
        assertThat(found).extracting(Passage::url).doesNotContain("https://b.example/tides");
    }

    @Test
    void shouldFindNothingWhenNoPageSharesTheQuestionsWords() {
        index.put(CrawledPage.of("https://b.example/tides", "Tides", "Spring tides rise highest after a full moon.", null));
        index.refresh();

        assertThat(index.search("Who painted the Mona Lisa?", 4)).isEmpty();
        assertThat(index.search("What is it?", 4)).as("only stop words").isEmpty();
    }

    @Test
    void shouldReplaceAPageCrawledAgainAndForgetARemovedOne() {
        index.put(CrawledPage.of("https://a.example/p", "Old", "Caissons were floated into place.", null));
        index.put(CrawledPage.of("https://a.example/p", "New", "Tetrapods were craned into place.", null));
        index.refresh();
        assertThat(index.search("caissons", 4)).isEmpty();
        assertThat(index.search("tetrapods", 4)).extracting(Passage::title).containsExactly("New");

        index.remove("https://a.example/p");
        index.refresh();
        assertThat(index.search("tetrapods", 4)).isEmpty();
    }

    @Test
    void shouldCutPagesIntoPassagesAlongParagraphs() {
        String longParagraph = "word ".repeat(200).strip();
        assertThat(PageIndex.passages("One.\n\nTwo.\n\n" + longParagraph + "\n\nThree."))
                .containsExactly("One.\n\nTwo.", longParagraph, "Three.");
    }
}
