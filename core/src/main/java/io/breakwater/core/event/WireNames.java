package io.breakwater.core.event;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How every enum of Breakwater's events is written: its constant's name in lower case ({@code half_open}), read back
 * strictly, with the accepted names in the message of a value that is none of them.
 */
public final class WireNames {

    private WireNames() {
    }

    /** The wire name of {@code constant}: its name in lower case. */
    public static String of(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The constant of {@code type} written as {@code value}.
     *
     * @param field names the field in the message, as a reader of the event knows it ({@code state})
     * @throws IllegalArgumentException if {@code value} is no constant's wire name
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String field, String value) {
        for (E constant : type.getEnumConstants()) {
            if (of(constant).equals(value)) {
                return constant;
            }
        }
        throw new IllegalArgumentException(field + " must be one of " + Arrays.stream(type.getEnumConstants())
                .map(WireNames::of).collect(Collectors.joining(", ")) + " but was '" + value + "'");
    }
}
