package io.breakwater.ingest;

import java.util.Locale;

/**
 * Every JSON POST must say it is JSON: {@code Content-Type: application/json}, with at most a UTF-8 charset. A form
 * on another site can post {@code text/plain}, {@code application/x-www-form-urlencoded} or
 * {@code multipart/form-data} to an API on localhost without the browser asking first, but never
 * {@code application/json}: this is what keeps such forms out.
 */
final class JsonContent {

    private JsonContent() {
    }

    /** @throws ApiException 415 unless {@code contentType} is {@code application/json} (charset UTF-8, if any) */
    static void require(String contentType) {
        if (!isJson(contentType)) {
            String shown = contentType == null ? "none" : "'" + (contentType.length() > 60
                    ? contentType.substring(0, 60) + "..." : contentType) + "'";
            throw new ApiException(415, "Send the body as JSON with 'Content-Type: application/json'; the Content-Type"
                    + " was " + shown + ".");
        }
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";", -1);
        if (!parts[0].strip().equalsIgnoreCase("application/json")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String[] parameter = parts[i].split("=", 2);
            String name = parameter[0].strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty() && parameter.length == 1) {
                continue;
            }
            String value = parameter.length < 2 ? "" : parameter[1].strip().replace("\"", "");
            if (!name.equals("charset") || !(value.equalsIgnoreCase("utf-8") || value.equalsIgnoreCase("utf8"))) {
                return false;
            }
        }
        return true;
    }
}
