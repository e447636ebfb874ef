package dev.lectern.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/** Method + path-template routing. Literal segments win over parameters, so {@code /rooms/new} beats {@code /rooms/{id}}. */
public final class Router {
    private static final int[] NONE = new int[0];

    private final List<Route> routes;
    private final List<CompiledTemplate> compiled;
    /** For each segment count, the indexes (in match order) of the routes with that many segments. */
    private final int[][] bySegmentCount;

    private Router(List<Route> routes) {
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort((a, b) -> CompiledTemplate.compare(a.template(), b.template()));
        this.routes = Collections.unmodifiableList(sorted);
        List<CompiledTemplate> c = new ArrayList<>();
        int longest = 0;
        for (Route r : sorted) {
            CompiledTemplate t = CompiledTemplate.of(r.template());
            c.add(t);
            longest = Math.max(longest, t.segments().length);
        }
        this.compiled = c;
        this.bySegmentCount = new int[longest + 1][];
        for (int n = 0; n <= longest; n++) {
            List<Integer> same = new ArrayList<>();
            for (int i = 0; i < c.size(); i++) {
                if (c.get(i).segments().length == n) {
                    same.add(i);
                }
            }
            bySegmentCount[n] = same.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Route> routes() {
        return routes;
    }

    /** The outcome of routing: a match, a path that exists for other methods (405), or nothing (404). */
    public sealed interface Match permits Found, MethodNotAllowed, NotFound {}

    public record Found(Route route, Map<String, String> pathParams) implements Match {}

    public record MethodNotAllowed(List<String> allowed) implements Match {}

    public record NotFound() implements Match {}

    public Match match(String method, String path) {
        String[] segments = CompiledTemplate.split(path);
        if (segments == null) {
            return new NotFound();
        }
        TreeSet<String> allowed = null; // only for a 405: most requests find their route and never need it
        // only templates with as many segments can match: a look-up, not a scan of every route
        int[] candidates = segments.length < bySegmentCount.length ? bySegmentCount[segments.length] : NONE;
        for (int i : candidates) {
            CompiledTemplate t = compiled.get(i);
            if (!t.matches(segments)) {
                continue;
            }
            Route r = routes.get(i);
            if (r.method().equals(method) || (method.equals("HEAD") && r.method().equals("GET"))) {
                return new Found(r, t.params(segments));
            }
            allowed = allowed == null ? new TreeSet<>() : allowed;
            allowed.add(r.method());
        }
        if (allowed == null) {
            return new NotFound();
        }
        if (allowed.contains("GET")) {
            allowed.add("HEAD");
        }
        List<String> list = new ArrayList<>(allowed);
        list.add("OPTIONS");
        return new MethodNotAllowed(List.copyOf(list));
    }

    /** A path template split into literal and {@code {param}} segments. */
    record CompiledTemplate(String[] segments, String[] paramNames) {
        private static final String[] NO_SEGMENTS = new String[0];

        static CompiledTemplate of(String template) {
            String[] s = split(template);
            if (s == null) {
                throw new IllegalArgumentException("bad template " + template);
            }
            String[] names = new String[s.length]; // the parameter's name, or null for a literal segment
            for (int i = 0; i < s.length; i++) {
                names[i] = isParam(s[i]) ? s[i].substring(1, s[i].length() - 1) : null;
            }
            return new CompiledTemplate(s, names);
        }

        /**
         * Splits a path on '/', rejecting empty inner segments, dot segments and encoded slashes. By hand, once per
         * request: {@code String.split} builds a list and an array and copies them.
         */
        static String[] split(String path) {
            int len = path.length();
            if (len == 0 || path.charAt(0) != '/') {
                return null;
            }
            if (len == 1) {
                return NO_SEGMENTS;
            }
            int end = path.charAt(len - 1) == '/' ? len - 1 : len; // one trailing slash is allowed
            int count = 1;
            for (int i = 1; i < end; i++) {
                if (path.charAt(i) == '/') {
                    count++;
                }
            }
            String[] parts = new String[count];
            int start = 1;
            int k = 0;
            for (int i = 1; i <= end; i++) {
                if (i == end || path.charAt(i) == '/') {
                    int n = i - start;
                    if (n == 0 || path.charAt(start) == '.' && (n == 1 || n == 2 && path.charAt(start + 1) == '.')) {
                        return null;
                    }
                    parts[k++] = path.substring(start, i);
                    start = i + 1;
                }
            }
            return parts;
        }

        /** Whether the path has this template's shape: the same number of segments, the literal ones equal. */
        boolean matches(String[] path) {
            if (path.length != segments.length) {
                return false;
            }
            for (int i = 0; i < segments.length; i++) {
                if (paramNames[i] == null && !segments[i].equals(path[i])) {
                    return false;
                }
            }
            return true;
        }

        /** The {@code {param}} values of a path that {@link #matches}. */
        Map<String, String> params(String[] path) {
            Map<String, String> params = null;
            String onlyName = null;
            String onlyValue = null;
            for (int i = 0; i < segments.length; i++) {
                String name = paramNames[i];
                if (name == null) {
                    continue;
                }
                if (onlyName == null && params == null) {
                    onlyName = name; // most templates have one parameter: Map.of, no map to build and copy
                    onlyValue = path[i];
                    continue;
                }
                if (params == null) {
                    params = new LinkedHashMap<>(4);
                    params.put(onlyName, onlyValue);
                }
                params.put(name, path[i]);
            }
            if (params != null) {
                return Map.copyOf(params);
            }
            return onlyName == null ? Map.of() : Map.of(onlyName, onlyValue);
        }

        static boolean isParam(String segment) {
            return segment.length() > 2 && segment.charAt(0) == '{' && segment.charAt(segment.length() - 1) == '}';
        }

        /** Orders templates so that more literal ones are tried first. */
        static int compare(String a, String b) {
            String[] sa = split(a);
            String[] sb = split(b);
            int n = Math.min(sa.length, sb.length);
            for (int i = 0; i < n; i++) {
                boolean pa = isParam(sa[i]);
                boolean pb = isParam(sb[i]);
                if (pa != pb) {
                    return pa ? 1 : -1;
                }
            }
            return Integer.compare(sa.length, sb.length);
        }
    }

    /** Collects routes; {@link #build()} rejects two routes with the same method and template. */
    public static final class Builder {
        private final List<Route> routes = new ArrayList<>();

        public RouteBuilder get(String template) {
            return new RouteBuilder(this, "GET", template);
        }

        public RouteBuilder post(String template) {
            return new RouteBuilder(this, "POST", template);
        }

        public RouteBuilder put(String template) {
            return new RouteBuilder(this, "PUT", template);
        }

        public RouteBuilder delete(String template) {
            return new RouteBuilder(this, "DELETE", template);
        }

        public RouteBuilder patch(String template) {
            return new RouteBuilder(this, "PATCH", template);
        }

        public Builder add(Route route) {
            routes.add(route);
            return this;
        }

        public Router build() {
            Map<String, Route> seen = new LinkedHashMap<>();
            for (Route r : routes) {
                String key = r.method() + " " + r.template().replaceAll("\\{[^}]+}", "{}");
                if (seen.put(key, r) != null) {
                    throw new IllegalStateException("duplicate route " + key);
                }
            }
            return new Router(routes);
        }
    }

    /** Fluent description of one route. */
    public static final class RouteBuilder {
        private final Builder parent;
        private final String method;
        private final String template;
        private Access access = Access.PUBLIC;
        private boolean blocking;
        private List<String> consumes = List.of();
        private String summary = "";
        private String tag = "misc";
        private final List<Route.Param> queryParams = new ArrayList<>();
        private Object requestExample;
        private final List<Integer> errors = new ArrayList<>();
        private java.lang.reflect.Type requestType;
        private final java.util.Map<Integer, java.lang.reflect.Type> responseTypes = new java.util.TreeMap<>();
        private dev.lectern.core.auth.AcceptedTokens tokens = dev.lectern.core.auth.AcceptedTokens.ANY;

        RouteBuilder(Builder parent, String method, String template) {
            this.parent = parent;
            this.method = method;
            this.template = Objects.requireNonNull(template);
            CompiledTemplate.of(template);
        }

        public RouteBuilder access(Access a) {
            this.access = a;
            return this;
        }

        /** The handler may block (JDBC, Jedis, files): it runs on the bounded blocking executor. */
        public RouteBuilder blocking() {
            this.blocking = true;
            return this;
        }

        /** Accepted request content types, e.g. {@code application/json}; anything else is a 415. */
        public RouteBuilder consumes(String... types) {
            this.consumes = List.of(types);
            return this;
        }

        public RouteBuilder json() {
            return consumes("application/json");
        }

        public RouteBuilder summary(String s) {
            this.summary = s;
            return this;
        }

        public RouteBuilder tag(String t) {
            this.tag = t;
            return this;
        }

        public RouteBuilder query(String name, String type, boolean required, String description) {
            queryParams.add(new Route.Param(name, type, required, description));
            return this;
        }

        public RouteBuilder example(Object requestExample) {
            this.requestExample = requestExample;
            return this;
        }

        public RouteBuilder errors(Integer... statuses) {
            errors.addAll(List.of(statuses));
            return this;
        }

        /** The Java type the request body binds to (a record read with {@code ApiRequest.json}); documents it. */
        public RouteBuilder request(java.lang.reflect.Type type) {
            this.requestType = Objects.requireNonNull(type);
            return this;
        }

        /**
         * The Java type of the response body for {@code status} (use {@link Types#listOf} for a bare JSON array);
         * documents it, and the contract tests validate what the route answers against the generated schema.
         */
        public RouteBuilder returns(int status, java.lang.reflect.Type type) {
            responseTypes.put(status, Objects.requireNonNull(type));
            return this;
        }

        /**
         * The kinds of token the route takes (default: every kind), as the lecture seed's {@code require_token_types}
         * says; a valid token of another kind is refused with 403 {@code token_type_refused} naming it.
         */
        public RouteBuilder tokens(dev.lectern.core.auth.TokenType first, dev.lectern.core.auth.TokenType... more) {
            return tokens(dev.lectern.core.auth.AcceptedTokens.of(first, more));
        }

        public RouteBuilder tokens(dev.lectern.core.auth.AcceptedTokens accepted) {
            this.tokens = Objects.requireNonNull(accepted);
            return this;
        }

        public Builder handle(ApiHandler handler) {
            return parent.add(new Route(method, template, access, blocking, handler, null, null, consumes, summary,
                    tag, queryParams, requestExample, errors, requestType, responseTypes, tokens));
        }

        /**
         * Answers with an event stream: {@code source} gets the request with its body read, after the decorators;
         * {@code keepAliveMillis} paces the comment lines of an idle stream.
         */
        public Builder sse(long keepAliveMillis, SseRoute.Source source) {
            return parent.add(new Route(method, template, access, blocking, null, new SseRoute(keepAliveMillis, source),
                    null, consumes, summary, tag, queryParams, requestExample, errors, requestType, responseTypes,
                    tokens));
        }

        /** Hands the raw request to a handler of its own (see {@link Tunnel}). */
        public Builder tunnel(Tunnel tunnel) {
            return parent.add(new Route(method, template, access, blocking, null, null, tunnel, consumes, summary, tag,
                    queryParams, requestExample, errors, requestType, responseTypes, tokens));
        }
    }
}
