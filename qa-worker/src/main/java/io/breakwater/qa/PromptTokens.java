package io.breakwater.qa;

/**
 * How many tokens a prompt takes, estimated without the model's tokenizer: a token for every 4 ASCII characters
 * (English runs about 4 characters a token) and one for every other character (a CJK character is one or two), plus a
 * few for each message's framing. Meant to err on the large side: it decides whether a prompt fits a model's context
 * window, where too small an estimate costs a rejected call.
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
            long ascii = 0;
            long other = 0;
            for (int i = 0; i < message.length(); ) {
                int codePoint = message.codePointAt(i);
                if (codePoint < 0x80) {
                    ascii++;
                } else {
                    other++;
                }
                i += Character.charCount(codePoint);
            }
            tokens += PER_MESSAGE + (ascii + 3) / 4 + other;
        }
        return (int) Math.min(Integer.MAX_VALUE, tokens);
    }
}
