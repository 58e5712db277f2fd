package io.breakwater.qa;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.breakwater.core.breaker.DependencyRejectedException;
import io.breakwater.core.config.KafkaSettings;
import io.breakwater.core.crawl.CrawledPage;
import io.breakwater.core.event.EventJson;
import io.breakwater.core.topic.Topic;
import io.breakwater.core.topic.TopicFollower;

/**
 * A search index of the crawled pages, in memory (Lucene, BM25): each page cut into passages along its
 * paragraphs, searched by the question's words (English stemming, stop words left out), titles weighing more.
 * Kept by following the compacted {@code crawl.pages} from its beginning, so it is rebuilt on every start and
 * updated as pages arrive; a page crawled again replaces its passages. Thread-safe.
 */
final class PageIndex implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PageIndex.class);
    /** Passages are cut along paragraphs, up to about this many characters. */
    static final int PASSAGE_CHARS = 700;

    private final Analyzer analyzer = new EnglishAnalyzer();
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private TopicFollower follower;

    PageIndex() {
        try {
            writer = new IndexWriter(new ByteBuffersDirectory(), new IndexWriterConfig(analyzer));
            searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An index kept by following {@code pages}, given up to {@code catchUp} to read what is already there. */
    static PageIndex following(KafkaSettings kafka, Topic<String, CrawledPage> pages, String clientId, Duration catchUp) {
        PageIndex index = new PageIndex();
        index.follower = TopicFollower.start(kafka, clientId, List.of(pages.name()), index::apply, index::refresh);
        if (!index.follower.awaitCaughtUp(catchUp)) {
            log.warn("Could not read all of {} within {} s; answers may lack some pages until it is read",
                    pages.name(), catchUp.toSeconds());
        }
        return index;
    }

    /** Adds a page, replacing what the index had for its URL. Visible to searches after {@link #refresh}. */
    void put(CrawledPage page) {
        try {
            writer.deleteDocuments(new Term("url", page.url()));
            int number = 0;
            for (String passage : passages(page.text())) {
                Document doc = new Document();
                doc.add(new StringField("url", page.url(), Field.Store.YES));
                doc.add(new TextField("title", page.title(), Field.Store.YES));
                doc.add(new TextField("text", passage, Field.Store.YES));
                doc.add(new StoredField("number", number++));
                writer.addDocument(doc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void remove(String url) {
        try {
            writer.deleteDocuments(new Term("url", url));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void refresh() {
        try {
            searchers.maybeRefresh();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The most distinct words of a question that a search uses (two clauses each, well under Lucene's limit of
     * 1,024): a question of 600 words is searched by its first {@value} distinct ones.
     */
    static final int MAX_QUERY_TERMS = 128;

    /** The passages that best match {@code question}, best first; none if no page shares its words. */
    List<Passage> search(String question, int limit) {
        Set<String> terms = terms(question);
        if (terms.isEmpty()) {
            return List.of();
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        for (String term : terms) {
            query.add(new TermQuery(new Term("text", term)), BooleanClause.Occur.SHOULD);
            query.add(new BoostQuery(new TermQuery(new Term("title", term)), 0.5f), BooleanClause.Occur.SHOULD);
        }
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                List<Passage> found = new ArrayList<>();
                for (ScoreDoc hit : searcher.search(query.build(), limit).scoreDocs) {
                    Document doc = searcher.storedFields().document(hit.doc);
                    found.add(new Passage(doc.get("url"), doc.get("title"), doc.get("text")));
                }
                return found;
            } finally {
                searchers.release(searcher);
            }
        } catch (IndexSearcher.TooManyClauses e) {
            // The question's fault, not the index's: it must not count against vector_db for everyone.
            throw new DependencyRejectedException("the question has too many terms to search: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.close();
        }
        try {
            searchers.close();
            writer.close();
        } catch (IOException e) {
            log.warn("Closing the page index failed: {}", e.toString());
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            if (record.key() != null) {
                remove(new String(record.key(), StandardCharsets.UTF_8));
            }
            return;
        }
        put(EventJson.decode(record.value(), CrawledPage.class));
    }

    private Set<String> terms(String text) {
        Set<String> terms = new LinkedHashSet<>();
        try (TokenStream tokens = analyzer.tokenStream("text", text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken() && terms.size() < MAX_QUERY_TERMS) {
                terms.add(term.toString());
            }
            tokens.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return terms;
    }

    /** Paragraphs, joined while they fit {@link #PASSAGE_CHARS}; a longer paragraph is a passage of its own. */
    static List<String> passages(String text) {
        List<String> passages = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String paragraph : text.split("\\n\\s*\\n")) {
            String clean = paragraph.strip();
            if (clean.isEmpty()) {
                continue;
            }
            if (current.length() > 0 && current.length() + clean.length() + 2 > PASSAGE_CHARS) {
                passages.add(current.toString());
                current.setLength(0);
            }
            current.append(current.length() > 0 ? "\n\n" : "").append(clean);
        }
        if (current.length() > 0) {
            passages.add(current.toString());
        }
        return passages;
    }
}
