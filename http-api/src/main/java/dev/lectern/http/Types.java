package dev.lectern.http;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Generic {@link Type}s for route documentation: {@code List<X>} (a bare JSON array) and {@code Map<String, X>}. */
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
