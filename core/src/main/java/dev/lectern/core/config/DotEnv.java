package dev.lectern.core.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads a {@code .env} file as the seeds' deployments write it (python-dotenv / docker compose style):
 * {@code NAME=value} lines, blank lines and {@code #} comments, an optional {@code export } prefix, values unquoted
 * (trimmed, a {@code " #"} starts a comment), in single quotes (literal) or double quotes
 * ({@code \n \t \" \\} escapes); quoted values may span lines; {@code ${NAME}} and
 * {@code ${NAME:-default}} expand in unquoted and double-quoted values (from the process environment first, then
 * earlier lines). A later line wins over an earlier one.
 *
 * <p>The file is hostile until checked: larger than {@link #MAX_BYTES}, not UTF-8 text, or holding a NUL byte, it is
 * refused with a {@link ConfigException}. Messages name the line and the variable, never a value (values are
 * secrets).
 */
public final class DotEnv {
    /** Largest env file accepted; real ones are a few KiB. */
    public static final int MAX_BYTES = 1 << 20;

    /** All values together, after {@code ${…}} expansion, at most this many characters (no expansion bomb). */
    static final int MAX_EXPANDED_CHARS = 2 * MAX_BYTES;

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    private DotEnv() {}

    /** Reads and parses {@code file}; {@code ${…}} references look in {@code processEnv} first. */
    public static Map<String, String> read(Path file, Map<String, String> processEnv) {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("env file " + file + ": not found (or not a regular file)");
            }
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_BYTES + 1);
            }
        } catch (IOException e) {
            throw new ConfigException("env file " + file + ": cannot read: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_BYTES) {
            throw new ConfigException("env file " + file + ": larger than " + MAX_BYTES
                    + " bytes; an env file holds NAME=value lines");
        }
        try {
            return parse(decode(bytes), processEnv);
        } catch (ConfigException e) {
            throw new ConfigException("env file " + file + ": " + e.getMessage(), e);
        }
    }

    private static String decode(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new ConfigException("binary content (a NUL byte at offset " + i + "); expected a text file");
            }
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw new ConfigException("not UTF-8 text; expected a text file of NAME=value lines");
        }
    }

    /** Parses the text of an env file. */
    public static Map<String, String> parse(String text, Map<String, String> processEnv) {
        Map<String, String> out = new LinkedHashMap<>();
        Function<String, String> lookup = name -> processEnv.containsKey(name) ? processEnv.get(name) : out.get(name);
        String s = text.replace("\r\n", "\n").replace('\r', '\n');
        int pos = 0;
        int line = 1;
        long total = 0;
        while (pos < s.length()) {
            int eol = s.indexOf('\n', pos);
            if (eol < 0) {
                eol = s.length();
            }
            String raw = s.substring(pos, eol).strip();
            int startLine = line;
            if (raw.isEmpty() || raw.startsWith("#")) {
                pos = eol + 1;
                line++;
                continue;
            }
            if (raw.startsWith("export ") || raw.startsWith("export\t")) {
                raw = raw.substring(7).strip();
            }
            int eq = raw.indexOf('=');
            String name = (eq < 0 ? raw : raw.substring(0, eq)).strip();
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException("line " + startLine + ": expected NAME=value (a name is letters, digits"
                        + " and _, not starting with a digit)");
            }
            if (eq < 0) {
                // python-dotenv: a bare NAME declares nothing
                pos = eol + 1;
                line++;
                continue;
            }
            // the value starts after '=' on the original text, since a quoted value may run past this line
            int valueStart = s.indexOf('=', pos) + 1;
            while (valueStart < s.length() && (s.charAt(valueStart) == ' ' || s.charAt(valueStart) == '\t')) {
                valueStart++;
            }
            char first = valueStart < s.length() ? s.charAt(valueStart) : '\n';
            String value;
            int end;
            if (first == '\'' || first == '"') {
                StringBuilder sb = new StringBuilder();
                int i = valueStart + 1;
                boolean closed = false;
                while (i < s.length()) {
                    char c = s.charAt(i);
                    if (c == '\n') {
                        line++;
                    }
                    if (c == first) {
                        closed = true;
                        i++;
                        break;
                    }
                    if (first == '"' && c == '\\' && i + 1 < s.length()) {
                        char n = s.charAt(i + 1);
                        switch (n) {
                            case 'n' -> sb.append('\n');
                            case 't' -> sb.append('\t');
                            case 'r' -> sb.append('\r');
                            case '"', '\\', '$' -> sb.append(n);
                            default -> sb.append('\\').append(n);
                        }
                        i += 2;
                        continue;
                    }
                    sb.append(c);
                    i++;
                }
                if (!closed) {
                    throw new ConfigException("line " + startLine + ": " + name + ": the quoted value has no closing "
                            + first);
                }
                end = s.indexOf('\n', i);
                if (end < 0) {
                    end = s.length();
                }
                String rest = s.substring(i, end).strip();
                if (!rest.isEmpty() && !rest.startsWith("#")) {
                    throw new ConfigException("line " + line + ": " + name + ": unexpected text after the closing "
                            + first);
                }
                value = first == '"' ? expand(sb.toString(), lookup, name, startLine) : sb.toString();
            } else {
                end = eol;
                String v = s.substring(valueStart, eol);
                int hash = commentStart(v);
                value = expand((hash >= 0 ? v.substring(0, hash) : v).strip(), lookup, name, startLine);
            }
            total += value.length();
            if (total > MAX_EXPANDED_CHARS) {
                throw new ConfigException("line " + startLine + ": " + name + ": the values expand to more than "
                        + MAX_EXPANDED_CHARS + " characters in all");
            }
            out.put(name, value);
            pos = end + 1;
            line++;
        }
        return out;
    }

    /** A {@code #} at the start of an unquoted value or after whitespace starts a comment. */
    private static int commentStart(String v) {
        for (int i = 0; i < v.length(); i++) {
            if (v.charAt(i) == '#' && (i == 0 || Character.isWhitespace(v.charAt(i - 1)))) {
                return i;
            }
        }
        return -1;
    }

    private static String expand(String v, Function<String, String> lookup, String name, int line) {
        if (!v.contains("${")) {
            return v;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < v.length()) {
            int open = v.indexOf("${", i);
            if (open < 0) {
                sb.append(v, i, v.length());
                break;
            }
            int close = v.indexOf('}', open);
            if (close < 0) {
                throw new ConfigException("line " + line + ": " + name + ": ${ without a closing }");
            }
            sb.append(v, i, open);
            String ref = v.substring(open + 2, close);
            String fallback = "";
            int dflt = ref.indexOf(":-");
            if (dflt >= 0) {
                fallback = ref.substring(dflt + 2);
                ref = ref.substring(0, dflt);
            }
            if (!NAME.matcher(ref).matches()) {
                throw new ConfigException("line " + line + ": " + name + ": ${" + ref + "} is not a variable name");
            }
            String found = lookup.apply(ref);
            sb.append(found == null || found.isEmpty() ? fallback : found);
            if (sb.length() > MAX_EXPANDED_CHARS) {
                throw new ConfigException("line " + line + ": " + name + ": expands to more than "
                        + MAX_EXPANDED_CHARS + " characters");
            }
            i = close + 1;
        }
        return sb.toString();
    }
}
