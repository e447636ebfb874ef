package dev.lectern.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The environment of a deployment of one of the seed backends (Holo Tutor Hub, AI Video Tutor, Virtual Tutor, the
 * lecture management system), understood by Lectern: each seed variable is mapped to Lectern's config key or secret
 * variable, so that {@code bin/lectern --env-file .env} runs on the seed's {@code .env} unchanged.
 *
 * <p>Config keys become overrides applied <em>before</em> the {@code LECTERN_*} ones, so an explicit {@code LECTERN_*}
 * variable always wins; a seed variable whose Lectern key is set explicitly is reported as ignored. Secrets (passwords,
 * keys) are copied to Lectern's secret variable unless that (or its {@code _FILE} form) is set; a password inside
 * {@code DATABASE_URL} or {@code REDIS_URL} is taken out of the URL. {@link #describe()} names variables and keys,
 * never values.
 */
public final class SeedEnvironment {
    static final String OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1";
    static final String OPENROUTER_MODEL = "google/gemini-2.5-flash";
    static final String ELEVENLABS_BASE_URL = "https://api.elevenlabs.io";
    private static final String TOKEN_TTL = "LECTERN_ACCOUNTS__TOKEN_TTL_SECONDS";

    /** Seed variables Lectern has no counterpart for, with why; reported as ignored when present. */
    static final Map<String, String> NO_COUNTERPART = Map.ofEntries(
            Map.entry("SECRET_KEY", "Flask session key; Lectern has no cookie sessions"),
            Map.entry("JWT_COOKIE_CSRF_PROTECT", "Lectern takes tokens from the Authorization header only"),
            Map.entry("CONVEX_URL", "Lectern keeps its records in its own SQL store"),
            Map.entry("CONVEX_ADMIN_KEY", "Lectern keeps its records in its own SQL store"),
            Map.entry("WORKERS", "Gunicorn setting; Lectern sizes its event loops (http.ioThreads)"),
            Map.entry("WORKER_CLASS", "Gunicorn setting"),
            Map.entry("THREADS", "Gunicorn setting; see http.blockingThreads"),
            Map.entry("LLM_URL", "the seed's own LLM service; configure ai.providers"),
            Map.entry("RAG_URL", "Lectern indexes uploads itself (ai.retrieval)"),
            Map.entry("AVATAR_MANAGER_URL", "see avatars.mode/externalUrl"),
            Map.entry("AVATAR_BASE_PORT", "see avatars.portRangeStart"),
            Map.entry("DEBUG", "no debug mode"),
            Map.entry("AWS_SESSION_TOKEN", "temporary AWS credentials are not supported"));

    private static final Set<String> SEED_NAMES = Set.of("OPENROUTER_API_KEY", "ELEVENLABS_API_KEY", "REDIS_URL",
            "DATABASE_URL", "S3_BUCKET_NAME", "AWS_S3_CONTENT_BUCKET_NAME", "AWS_S3_AUDIO_BUCKET_NAME",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_REGION_NAME", "AWS_DEFAULT_REGION",
            "JWT_SECRET_KEY", "JWT_ACCESS_TOKEN_EXPIRES", "REDIS_TOKEN_TTL_SECONDS", "MAIL_SERVER", "MAIL_PORT",
            "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_DEFAULT_SENDER", "LOG_LEVEL",
            "WEBHOOK_SECRET", "COGNITO_USERPOOL_ID", "COGNITO_APP_CLIENT_ID", "COGNITO_REGION");

    private final Map<String, String> source;
    private final Set<String> fileNames;
    private final Map<String, String> env;
    /** Seed-derived overrides, LECTERN_ style names, applied before the explicit ones. */
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private final Map<String, List<String>> mapped = new TreeMap<>();
    private final Map<String, String> ignored = new TreeMap<>();
    private boolean applied;

    private SeedEnvironment(Map<String, String> processEnv, Map<String, String> fileEnv) {
        Map<String, String> merged = new HashMap<>(fileEnv);
        // the process environment wins over the file, as with docker compose and python-dotenv
        merged.putAll(processEnv);
        this.source = Map.copyOf(merged);
        this.fileNames = Set.copyOf(fileEnv.keySet());
        this.env = new HashMap<>(merged);
        translate();
    }

    /** The seed variables of {@code processEnv} and of an env file's variables (the process wins a clash). */
    public static SeedEnvironment of(Map<String, String> processEnv, Map<String, String> fileEnv) {
        return new SeedEnvironment(processEnv, fileEnv);
    }

    public static SeedEnvironment of(Map<String, String> processEnv) {
        return of(processEnv, Map.of());
    }

    /** The environment Lectern runs with: the file and the process, plus the secrets copied to Lectern's names. */
    public Map<String, String> env() {
        return Map.copyOf(env);
    }

    /** The config overrides derived from seed variables (names in {@code LECTERN_*} form), for tests. */
    public Map<String, String> overrides() {
        return Map.copyOf(overrides);
    }

    /** Seed variable to the Lectern keys or secret variables it fills. */
    public Map<String, List<String>> mapped() {
        return Map.copyOf(mapped);
    }

    /** Seed variables left unused, with why. */
    public Map<String, String> ignored() {
        return Map.copyOf(ignored);
    }

    /** One line for the start-up log: names only, never values. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        mapped.forEach((name, targets) -> sb.append(sb.length() == 0 ? "" : "; ").append(name).append(" -> ")
                .append(String.join(", ", targets)));
        StringBuilder ign = new StringBuilder();
        ignored.forEach((name, why) -> ign.append(ign.length() == 0 ? "" : "; ").append(name).append(" (")
                .append(why).append(')'));
        return "mapped: " + (sb.length() == 0 ? "none" : sb) + " | ignored: " + (ign.length() == 0 ? "none" : ign);
    }

    public boolean isEmpty() {
        return mapped.isEmpty() && ignored.isEmpty();
    }

    // ---- translation -------------------------------------------------------------------------------------------

    private String get(String name) {
        String v = source.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    private boolean explicit(String lecternName) {
        return get(lecternName) != null || get(lecternName + "_FILE") != null;
    }

    /** A config key: derived unless its LECTERN_ override is set. */
    private void key(String seedName, String override, String value) {
        if (explicit(override)) {
            note(seedName, keyOf(override) + " (" + override + " wins)");
            return;
        }
        overrides.put(override, value);
        note(seedName, keyOf(override));
    }

    /** A secret: copied to Lectern's variable unless that (or NAME_FILE) is set. */
    private void secret(String seedName, String lecternName, String value) {
        if (explicit(lecternName)) {
            note(seedName, lecternName + " (already set, kept)");
            return;
        }
        env.put(lecternName, value);
        note(seedName, lecternName);
    }

    private void note(String seedName, String target) {
        mapped.computeIfAbsent(seedName, k -> new ArrayList<>()).add(target);
    }

    private static String keyOf(String override) {
        String[] levels = override.substring(ConfigLoader.ENV_PREFIX.length()).split("__");
        StringBuilder sb = new StringBuilder();
        for (String level : levels) {
            sb.append(sb.length() == 0 ? "" : ".").append(ConfigLoader.camel(level));
        }
        return sb.toString();
    }

    private void translate() {
        database();
        redis();
        objects();
        accounts();
        cognito();
        mail();
        String level = get("LOG_LEVEL");
        if (level != null) {
            secret("LOG_LEVEL", "LECTERN_LOG_LEVEL", logLevel(level));
        }
        String webhook = get("WEBHOOK_SECRET");
        if (webhook != null) {
            secret("WEBHOOK_SECRET", "LECTERN_WEBHOOK_SECRET", webhook);
        }
        // OPENROUTER_API_KEY and ELEVENLABS_API_KEY depend on the file's sections: see apply(tree)
        for (String name : source.keySet()) {
            if (get(name) == null || mapped.containsKey(name) || ignored.containsKey(name)
                    || name.equals("OPENROUTER_API_KEY") || name.equals("ELEVENLABS_API_KEY")) {
                continue;
            }
            if (NO_COUNTERPART.containsKey(name)) {
                ignored.put(name, NO_COUNTERPART.get(name));
            } else if (fileNames.contains(name) && !name.startsWith(ConfigLoader.ENV_PREFIX)
                    && !SEED_NAMES.contains(name)) {
                ignored.put(name, "no Lectern counterpart");
            }
        }
    }

    private void database() {
        String url = get("DATABASE_URL");
        if (url == null) {
            return;
        }
        if (explicit("LECTERN_STORAGE__SQL__URL")) {
            ignored.put("DATABASE_URL", "LECTERN_STORAGE__SQL__URL wins");
            return;
        }
        int colon = url.indexOf("://");
        String scheme = colon < 0 ? "" : url.substring(0, colon).toLowerCase(Locale.ROOT);
        int plus = scheme.indexOf('+');
        String base = plus < 0 ? scheme : scheme.substring(0, plus);
        if (base.equals("sqlite")) {
            ignored.put("DATABASE_URL", "a SQLite URL: Lectern keeps its own SQLite file under storage.dataDir");
            return;
        }
        if (!base.equals("postgresql") && !base.equals("postgres")) {
            // the scheme only: the rest may hold a password
            throw new ConfigException("DATABASE_URL: " + (scheme.isEmpty() ? "no scheme" : "scheme " + scheme)
                    + " is not supported (expected postgresql://user:password@host[:port]/database)");
        }
        URI u = parse("DATABASE_URL", "postgresql" + url.substring(colon));
        String db = u.getRawPath() == null ? "" : u.getRawPath();
        if (db.length() <= 1) {
            throw new ConfigException("DATABASE_URL: names no database (expected postgresql://user:password@host"
                    + "[:port]/database)");
        }
        String query = u.getRawQuery();
        if (query != null && query.toLowerCase(Locale.ROOT).contains("password=")) {
            throw new ConfigException("DATABASE_URL: put the password before the host, not in the query");
        }
        String jdbc = "jdbc:postgresql://" + hostPort(u) + db + (query == null ? "" : "?" + query);
        key("DATABASE_URL", "LECTERN_STORAGE__SQL__URL", jdbc);
        String[] credentials = credentials(u);
        if (credentials[0] != null) {
            key("DATABASE_URL", "LECTERN_STORAGE__SQL__USER", credentials[0]);
        }
        if (credentials[1] != null) {
            secret("DATABASE_URL", "LECTERN_SQL_PASSWORD", credentials[1]);
        }
    }

    private void redis() {
        String url = get("REDIS_URL");
        if (url == null) {
            return;
        }
        if (explicit("LECTERN_STORAGE__REDIS__URL")) {
            ignored.put("REDIS_URL", "LECTERN_STORAGE__REDIS__URL wins");
            return;
        }
        URI u = parse("REDIS_URL", url);
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new ConfigException("REDIS_URL: " + (scheme.isEmpty() ? "no scheme" : "scheme " + scheme)
                    + " is not supported (expected redis://[:password@]host[:port][/db] or rediss://…)");
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        if (path.equals("/")) {
            path = "";
        }
        String[] credentials = credentials(u);
        if (credentials[0] != null && !credentials[0].equals("default")) {
            throw new ConfigException("REDIS_URL: names a Redis user; Lectern authenticates with a password only"
                    + " (the default user)");
        }
        key("REDIS_URL", "LECTERN_STORAGE__REDIS__URL", scheme + "://" + hostPort(u) + path);
        if (credentials[1] != null) {
            secret("REDIS_URL", "LECTERN_REDIS_PASSWORD", credentials[1]);
        }
        if (u.getRawQuery() != null) {
            note("REDIS_URL", "(query parameters dropped)");
        }
    }

    private void objects() {
        String chosen = null;
        for (String name : List.of("S3_BUCKET_NAME", "AWS_S3_CONTENT_BUCKET_NAME", "AWS_S3_AUDIO_BUCKET_NAME")) {
            String bucket = get(name);
            if (bucket == null) {
                continue;
            }
            if (chosen == null) {
                key(name, "LECTERN_STORAGE__OBJECTS__S3__BUCKET", bucket);
                chosen = name;
            } else if (bucket.equals(get(chosen))) {
                note(name, "storage.objects.s3.bucket (same as " + chosen + ")");
            }
        }
        // the seed's separate buckets: recordings and course materials each in their own (the rest in the one above)
        if (get("AWS_S3_AUDIO_BUCKET_NAME") != null) {
            key("AWS_S3_AUDIO_BUCKET_NAME", "LECTERN_STORAGE__OBJECTS__S3__BUCKETS__AUDIO",
                    get("AWS_S3_AUDIO_BUCKET_NAME"));
        }
        if (get("AWS_S3_CONTENT_BUCKET_NAME") != null) {
            key("AWS_S3_CONTENT_BUCKET_NAME", "LECTERN_STORAGE__OBJECTS__S3__BUCKETS__CONTENT",
                    get("AWS_S3_CONTENT_BUCKET_NAME"));
        }
        String region = null;
        for (String name : List.of("AWS_REGION", "AWS_REGION_NAME", "AWS_DEFAULT_REGION")) {
            String r = get(name);
            if (r == null) {
                continue;
            }
            if (region == null) {
                key(name, "LECTERN_STORAGE__OBJECTS__S3__REGION", r);
                region = name;
            } else {
                ignored.put(name, "the region is taken from " + region);
            }
        }
        String id = get("AWS_ACCESS_KEY_ID");
        if (id != null) {
            secret("AWS_ACCESS_KEY_ID", "LECTERN_S3_ACCESS_KEY_ID", id);
        }
        String key = get("AWS_SECRET_ACCESS_KEY");
        if (key != null) {
            secret("AWS_SECRET_ACCESS_KEY", "LECTERN_S3_SECRET_ACCESS_KEY", key);
        }
    }

    private void accounts() {
        String jwt = get("JWT_SECRET_KEY");
        if (jwt != null) {
            if (!explicit("LECTERN_JWT_SECRET") && jwt.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new ConfigException("JWT_SECRET_KEY: shorter than the 32 bytes Lectern requires of a JWT secret"
                        + " (e.g. python -c \"import secrets; print(secrets.token_hex(32))\")");
            }
            secret("JWT_SECRET_KEY", "LECTERN_JWT_SECRET", jwt);
        }
        String expires = get("JWT_ACCESS_TOKEN_EXPIRES");
        String redisTtl = get("REDIS_TOKEN_TTL_SECONDS");
        if (expires != null) {
            key("JWT_ACCESS_TOKEN_EXPIRES", TOKEN_TTL,
                    seconds("JWT_ACCESS_TOKEN_EXPIRES", expires));
            if (redisTtl != null) {
                ignored.put("REDIS_TOKEN_TTL_SECONDS", "a token stays in Lectern's allow-list exactly as long as it"
                        + " lives (accounts.tokenTtlSeconds, from JWT_ACCESS_TOKEN_EXPIRES)");
            }
        } else if (redisTtl != null) {
            key("REDIS_TOKEN_TTL_SECONDS", TOKEN_TTL,
                    seconds("REDIS_TOKEN_TTL_SECONDS", redisTtl));
        }
    }

    /**
     * The lecture seed's Cognito user pool and app client: Lectern's external sign-in, {@code accounts.oidc.issuer}
     * (the pool id, from which the issuer URL follows; a pool id without its region is completed with
     * {@code COGNITO_REGION} or the AWS region) and {@code accounts.oidc.clientId}.
     */
    private void cognito() {
        String pool = get("COGNITO_USERPOOL_ID");
        String client = get("COGNITO_APP_CLIENT_ID");
        String region = get("COGNITO_REGION");
        if (pool == null) {
            if (client != null) {
                ignored.put("COGNITO_APP_CLIENT_ID", "no COGNITO_USERPOOL_ID: Cognito sign-in stays off");
            }
            if (region != null) {
                ignored.put("COGNITO_REGION", "no COGNITO_USERPOOL_ID: Cognito sign-in stays off");
            }
            return;
        }
        java.util.regex.Matcher m = OidcConfig.COGNITO_POOL.matcher(pool);
        String issuer = pool;
        if (m.matches()) {
            if (region != null && !region.equals(m.group(1))) {
                throw new ConfigException("COGNITO_REGION: " + region + " is not the region of COGNITO_USERPOOL_ID ("
                        + m.group(1) + ")");
            }
        } else if (!pool.contains("://")) {
            String r = region != null ? region : get("AWS_REGION") != null ? get("AWS_REGION")
                    : get("AWS_REGION_NAME") != null ? get("AWS_REGION_NAME") : get("AWS_DEFAULT_REGION");
            if (r == null) {
                throw new ConfigException("COGNITO_USERPOOL_ID: not of the form <region>_<id> (e.g."
                        + " eu-central-1_AbCdEfGhI); set COGNITO_REGION too");
            }
            issuer = "https://cognito-idp." + r + ".amazonaws.com/" + pool;
        }
        key("COGNITO_USERPOOL_ID", "LECTERN_ACCOUNTS__OIDC__ISSUER", issuer);
        if (region != null) {
            note("COGNITO_REGION", "accounts.oidc.issuer (with COGNITO_USERPOOL_ID)");
        }
        if (client != null) {
            key("COGNITO_APP_CLIENT_ID", "LECTERN_ACCOUNTS__OIDC__CLIENT_ID", client);
        }
    }

    private void mail() {
        String host = get("MAIL_SERVER");
        if (host != null) {
            key("MAIL_SERVER", "LECTERN_ACCOUNTS__SMTP__HOST", host);
        }
        String port = get("MAIL_PORT");
        if (port != null) {
            int p;
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) {
                throw new ConfigException("MAIL_PORT: not a port number (1-65535)");
            }
            key("MAIL_PORT", "LECTERN_ACCOUNTS__SMTP__PORT", Integer.toString(p));
        }
        String user = get("MAIL_USERNAME");
        if (user != null) {
            key("MAIL_USERNAME", "LECTERN_ACCOUNTS__SMTP__USERNAME", user);
        }
        String password = get("MAIL_PASSWORD");
        if (password != null) {
            secret("MAIL_PASSWORD", "LECTERN_SMTP_PASSWORD", password);
        }
        String sender = get("MAIL_DEFAULT_SENDER");
        if (sender != null) {
            key("MAIL_DEFAULT_SENDER", "LECTERN_ACCOUNTS__SMTP__FROM", sender);
        }
        String tls = get("MAIL_USE_TLS");
        String ssl = get("MAIL_USE_SSL");
        if (tls == null && ssl == null) {
            return;
        }
        boolean useSsl = ssl != null && bool("MAIL_USE_SSL", ssl);
        boolean useTls = tls != null && bool("MAIL_USE_TLS", tls);
        // Flask-Mail: MAIL_USE_SSL opens an implicit TLS connection and takes precedence
        String security = useSsl ? "tls" : useTls ? "starttls" : "none";
        String from = useSsl ? "MAIL_USE_SSL" : useTls ? "MAIL_USE_TLS" : tls != null ? "MAIL_USE_TLS" : "MAIL_USE_SSL";
        key(from, "LECTERN_ACCOUNTS__SMTP__SECURITY", security);
        for (String other : List.of("MAIL_USE_TLS", "MAIL_USE_SSL")) {
            if (!other.equals(from) && get(other) != null) {
                note(other, "accounts.smtp.security (with " + from + ")");
            }
        }
    }

    // ---- the parts that depend on the config file --------------------------------------------------------------

    /**
     * Applies what depends on the config file's sections: {@code OPENROUTER_API_KEY} adds an OpenRouter provider when
     * the file lists none; {@code ELEVENLABS_API_KEY} selects ElevenLabs speech when the file leaves
     * {@code ai.tts.provider} at {@code auto}. Then the seed-derived overrides; the caller applies the explicit
     * {@code LECTERN_*} ones after. Called once, by {@link ConfigLoader#load(java.nio.file.Path, SeedEnvironment)}.
     */
    void apply(ObjectNode tree, java.util.function.BiConsumer<String, String> override) {
        if (!applied) {
            applied = true;
            openRouter(tree);
            elevenLabs(tree);
            tokenRefresh(tree);
        }
        overrides.forEach(override);
    }

    private void openRouter(ObjectNode tree) {
        if (get("OPENROUTER_API_KEY") == null) {
            return;
        }
        JsonNode ai = tree.get("ai");
        JsonNode providers = ai == null ? null : ai.get("providers");
        if (!(providers instanceof ArrayNode list)) {
            return; // the binding reports the broken section
        }
        for (JsonNode p : list) {
            if ("OPENROUTER_API_KEY".equals(p.path("apiKeyEnv").asText())) {
                note("OPENROUTER_API_KEY", "ai.providers[" + p.path("name").asText() + "].apiKeyEnv (in the file)");
                return;
            }
        }
        if (!list.isEmpty()) {
            ignored.put("OPENROUTER_API_KEY", "ai.providers is set in the config file and names another key");
            return;
        }
        ObjectNode p = list.addObject();
        p.put("name", "openrouter");
        p.put("baseUrl", OPENROUTER_BASE_URL);
        p.put("apiKeyEnv", "OPENROUTER_API_KEY");
        p.putArray("models").add(OPENROUTER_MODEL);
        p.put("referer", "");
        p.put("title", "Lectern");
        note("OPENROUTER_API_KEY", "ai.providers[openrouter] (model " + OPENROUTER_MODEL + ")");
    }

    /** A token lifetime shorter than the file's refresh window would be refused; the window shrinks with it. */
    private void tokenRefresh(ObjectNode tree) {
        String ttl = overrides.get(TOKEN_TTL);
        String refresh = "LECTERN_ACCOUNTS__TOKEN_REFRESH_BEFORE_SECONDS";
        if (ttl == null || explicit(refresh)) {
            return;
        }
        long seconds = Long.parseLong(ttl);
        if (tree.path("accounts").path("tokenRefreshBeforeSeconds").asLong(0) >= seconds) {
            key(get("JWT_ACCESS_TOKEN_EXPIRES") != null ? "JWT_ACCESS_TOKEN_EXPIRES" : "REDIS_TOKEN_TTL_SECONDS",
                    refresh, Long.toString(seconds / 4));
        }
    }

    private void elevenLabs(ObjectNode tree) {
        if (get("ELEVENLABS_API_KEY") == null) {
            return;
        }
        if (explicit("LECTERN_AI__TTS__PROVIDER")) {
            ignored.put("ELEVENLABS_API_KEY", "LECTERN_AI__TTS__PROVIDER wins");
            return;
        }
        String configured = tree.path("ai").path("tts").path("provider").asText();
        if (!configured.equals("auto") && !configured.equals("elevenlabs")) {
            ignored.put("ELEVENLABS_API_KEY", "ai.tts.provider is " + configured + " in the config file");
            return;
        }
        key("ELEVENLABS_API_KEY", "LECTERN_AI__TTS__PROVIDER", "elevenlabs");
        if (tree.path("ai").path("tts").path("baseUrl").asText().isEmpty()) {
            key("ELEVENLABS_API_KEY", "LECTERN_AI__TTS__BASE_URL", ELEVENLABS_BASE_URL);
        }
        key("ELEVENLABS_API_KEY", "LECTERN_AI__TTS__API_KEY_ENV", "ELEVENLABS_API_KEY");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static URI parse(String name, String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            // not e.getMessage(): it quotes the URL, password included
            throw new ConfigException(name + ": not a valid URL (percent-encode special characters of the user and"
                    + " password, e.g. @ as %40)");
        }
        if (u.getHost() == null) {
            throw new ConfigException(name + ": names no host (percent-encode special characters of the user and"
                    + " password, e.g. @ as %40)");
        }
        return u;
    }

    private static String hostPort(URI u) {
        return u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
    }

    /** {user, password} of a URL, percent-decoded; each null when absent or empty. */
    private static String[] credentials(URI u) {
        String info = u.getRawUserInfo();
        if (info == null || info.isEmpty()) {
            return new String[] {null, null};
        }
        int c = info.indexOf(':');
        String user = decode(c < 0 ? info : info.substring(0, c));
        String password = c < 0 ? null : decode(info.substring(c + 1));
        return new String[] {user.isEmpty() ? null : user, password == null || password.isEmpty() ? null : password};
    }

    private static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '%' && i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0
                    && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] b = String.valueOf(ch).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String seconds(String name, String value) {
        try {
            long s = Long.parseLong(value);
            if (s > 0) {
                return Long.toString(s);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ConfigException(name + ": expected a whole number of seconds > 0");
    }

    private static boolean bool(String name, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on", "t", "y" -> true;
            case "false", "0", "no", "off", "f", "n" -> false;
            default -> throw new ConfigException(name + ": expected true or false");
        };
    }

    private static String logLevel(String value) {
        return switch (value.toUpperCase(Locale.ROOT)) {
            case "TRACE" -> "TRACE";
            case "DEBUG" -> "DEBUG";
            case "INFO" -> "INFO";
            case "WARN", "WARNING" -> "WARN";
            case "ERROR", "CRITICAL", "FATAL" -> "ERROR";
            default -> throw new ConfigException("LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR");
        };
    }
}
