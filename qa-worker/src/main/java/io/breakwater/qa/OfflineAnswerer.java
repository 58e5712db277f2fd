package io.breakwater.qa;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.breakwater.core.event.AnsweredBy;
import io.breakwater.core.event.Source;

/**
 * The built-in answerer for when no LLM is configured: it quotes the sentences of the context that share the most
 * (and the rarest) words with the question, and cites their pages. It never writes anything of its own, and its
 * answers say {@code answeredBy.kind = offline}. Thread-safe and stateless.
 */
final class OfflineAnswerer implements Answerer {

    static final String MODEL = "breakwater-extractive";
    static final AnsweredBy ANSWERED_BY = new AnsweredBy(AnsweredBy.OFFLINE, MODEL);
    static final String NO_CONTEXT = "No language model is configured (set BW_LLM_URL), and the offline answerer"
            + " found no crawled page to quote for this question, so it cannot answer it.";
    static final String NO_MATCH = "No language model is configured (set BW_LLM_URL), and none of the crawled pages"
            + " the offline answerer has mention the words of this question, so it cannot answer it.";

    private static final int MAX_SENTENCES = 3;
    private static final int MIN_WORDS = 4;
    private static final Set<String> STOP_WORDS = Set.of(
            "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "in",
            "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "which",
            "who", "why", "will", "with", "you", "your", "about", "there", "their", "they", "has", "have", "had");

    private record Sentence(int order, Passage passage, String text, Set<String> terms) {
    }

    private record Scored(Sentence sentence, double score) {
    }

    @Override
    public Answer answer(String question, List<Passage> context) {
        if (context.isEmpty()) {
            return new Answer(NO_CONTEXT, List.of(), ANSWERED_BY);
        }
        Set<String> questionTerms = terms(question);
        List<Sentence> sentences = sentences(context);
        Map<String, Integer> sentencesWithTerm = new HashMap<>();
        sentences.forEach(sentence -> sentence.terms().forEach(term -> sentencesWithTerm.merge(term, 1, Integer::sum)));

        // Headings and labels (a few words, no sentence) are not worth quoting when there are sentences to quote.
        List<Sentence> quotable = sentences.stream().filter(sentence -> sentence.text().split(" ").length >= MIN_WORDS)
                .toList();
        List<Scored> best = (quotable.isEmpty() ? sentences : quotable).stream()
                .map(sentence -> new Scored(sentence, score(sentence, questionTerms, sentencesWithTerm, sentences.size())))
                .filter(scored -> scored.score() > 0)
                .sorted(Comparator.comparingDouble(Scored::score).reversed())
                .limit(MAX_SENTENCES)
                .sorted(Comparator.comparingInt(scored -> scored.sentence().order()))
                .toList();
        if (best.isEmpty()) {
            return new Answer(NO_MATCH, List.of(), ANSWERED_BY);
        }
        StringBuilder text = new StringBuilder();
        Set<Source> sources = new LinkedHashSet<>();
        for (Scored scored : best) {
            text.append(text.isEmpty() ? "" : " ").append(scored.sentence().text());
            Passage passage = scored.sentence().passage();
            sources.add(new Source(passage.url(), passage.title()));
        }
        return new Answer(text.toString(), new ArrayList<>(sources), ANSWERED_BY);
    }

    /** Inverse-document-frequency weighted overlap: a rare shared word counts more than a common one. */
    private static double score(Sentence sentence, Set<String> questionTerms, Map<String, Integer> sentencesWithTerm,
                                int sentenceCount) {
        double score = 0;
        for (String term : questionTerms) {
            if (sentence.terms().contains(term)) {
                score += Math.log(1.0 + (double) sentenceCount / sentencesWithTerm.get(term));
            }
        }
        return score;
    }

    private static List<Sentence> sentences(List<Passage> context) {
        List<Sentence> sentences = new ArrayList<>();
        BreakIterator boundaries = BreakIterator.getSentenceInstance(Locale.ROOT);
        for (Passage passage : context) {
            // A heading is a paragraph of its own, without a full stop: never part of the next sentence.
            for (String text : passage.text().split("\\n\\s*\\n")) {
                boundaries.setText(text);
                for (int start = boundaries.first(), end = boundaries.next(); end != BreakIterator.DONE;
                     start = end, end = boundaries.next()) {
                    String sentence = text.substring(start, end).strip().replaceAll("\\s+", " ");
                    if (!sentence.isEmpty()) {
                        sentences.add(new Sentence(sentences.size(), passage, sentence, terms(sentence)));
                    }
                }
            }
        }
        return sentences;
    }

    static Set<String> terms(String text) {
        Set<String> terms = new HashSet<>();
        for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (word.length() > 1 && !STOP_WORDS.contains(word)) {
                terms.add(word);
            }
        }
        return terms;
    }
}
