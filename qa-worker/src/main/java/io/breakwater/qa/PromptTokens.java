package io.breakwater.qa;

/**
 * How many tokens a prompt takes, estimated without the model's tokenizer: a token for every 4 ASCII letters or spaces
 * (English runs about 4 characters a token), for every 2 other ASCII characters (digits and punctuation split finer),
 * one for every other character of the basic plane (a CJK character is one or two) and 3 for one beyond it (an
 * emoji), plus a few for each message's framing. Meant to err on the large side: it decides whether a prompt fits a
 * model's context window, where too small an estimate costs a rejected call (which the next deployment then gets).
 */
final class PromptTokens {

    /** What each chat message costs beyond its text (role, separators). */
    static final int PER_MESSAGE = 4;

    private PromptTokens() {
    }

    /** The estimated tokens of {@code messages}' texts, framing included. */
    static int estimate(String... messages) {
        long tokens = 3;
        for (String message : messages) {
            long words = 0;
            long symbols = 0;
            long other = 0;
            for (int i = 0; i < message.length(); ) {
                int codePoint = message.codePointAt(i);
                if (codePoint < 0x80) {
                    if (Character.isLetter(codePoint) || Character.isWhitespace(codePoint)) {
                        words++;
                    } else {
                        symbols++;
                    }
                } else {
                    other += Character.isSupplementaryCodePoint(codePoint) ? 3 : 1;
                }
                i += Character.charCount(codePoint);
            }
            tokens += PER_MESSAGE + (words + 3) / 4 + (symbols + 1) / 2 + other;
        }
        return (int) Math.min(Integer.MAX_VALUE, tokens);
    }
}
