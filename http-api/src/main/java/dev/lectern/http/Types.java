package dev.lectern.http;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Generic {@link Type}s for route documentation: {@code List<X>} (a bare JSON array), {@code Map<String, X>}, a non-JSON
 * body ({@link #media}); {@code Void.class} is a response without a body (204).
 */
public final class Types {
    private Types() {}

    /** {@code List<element>}: a route that answers a bare JSON array. */
    public static Type listOf(Type element) {
        return new Parameterized(List.class, element);
    }

    /** {@code Map<String, value>}: a JSON object keyed by names (e.g. an avatar list keyed by avatar name). */
    public static Type mapOf(Type value) {
        return new Parameterized(Map.class, String.class, value);
    }

    /**
     * A body that is not JSON, e.g. {@code media("text/csv")} or {@code media("application/pdf")}: documented as a
     * string (text) or binary of that content type.
     */
    public static Type media(String contentType) {
        return new Media(contentType);
    }

    /**
     * One of several bodies by content type, e.g. {@code either(Transcript.class, media("text/vtt"))} for a route that
     * answers JSON or WebVTT as the request asks.
     */
    public static Type either(Type... alternatives) {
        return new Either(List.of(alternatives));
    }

    /** Alternative bodies of one status (see {@link #either}). */
    public record Either(List<Type> alternatives) implements Type {
        @Override
        public String getTypeName() {
            return "either " + alternatives;
        }
    }

    /** A non-JSON body of one content type (see {@link #media}). */
    public record Media(String contentType) implements Type {
        @Override
        public String getTypeName() {
            return "media " + contentType;
        }
    }

    private record Parameterized(Class<?> raw, Type... args) implements ParameterizedType {
        @Override
        public Type[] getActualTypeArguments() {
            return args.clone();
        }

        @Override
        public Type getRawType() {
            return raw;
        }

        @Override
        public Type getOwnerType() {
            return null;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ParameterizedType p && raw.equals(p.getRawType()) && p.getOwnerType() == null
                    && Arrays.equals(args, p.getActualTypeArguments());
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(args) ^ raw.hashCode();
        }

        @Override
        public String getTypeName() {
            return raw.getName() + "<" + String.join(", ", Arrays.stream(args).map(Type::getTypeName).toList()) + ">";
        }

        @Override
        public String toString() {
            return getTypeName();
        }
    }
}
