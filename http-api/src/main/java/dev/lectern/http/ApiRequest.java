package dev.lectern.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One REST request as plain Java: the body is already copied out of Netty's buffers. Immutable; decorators add the
 * principal with {@link #withPrincipal}.
 */
public record ApiRequest(
        String method,
        String path,
        Map<String, List<String>> query,
        Map<String, String> pathParams,
        Headers headers,
        byte[] body,
        String remoteAddress,
        String requestId,
        Principal principal) {

    public ApiRequest {
        query = Map.copyOf(query);
        pathParams = Map.copyOf(pathParams);
        body = body == null ? new byte[0] : body;
    }

    public ApiRequest withPrincipal(Principal p) {
        return new ApiRequest(method, path, query, pathParams, headers, body, remoteAddress, requestId, p);
    }

    public Optional<Principal> principalIfAny() {
        return Optional.ofNullable(principal);
    }

    /** The caller; a route with {@link Access#USER} or stronger always has one. */
    public Principal requirePrincipal() {
        if (principal == null) {
            throw ServiceException.unauthorized("authentication required");
        }
        return principal;
    }

    public String pathParam(String name) {
        String v = pathParams.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no path parameter " + name);
        }
        return v;
    }

    /** A path parameter that must be a positive long id; anything else is a 404, as the resource cannot exist. */
    public long pathId(String name) {
        String v = pathParam(name);
        try {
            long id = Long.parseLong(v);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException ignored) {
            // falls through to 404
        }
        throw ServiceException.notFound("no such " + name.replace("_", " ").replace("Id", "").trim());
    }

    public Optional<String> queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    public int queryInt(String name, int defaultValue, int min, int max) {
        Optional<String> v = queryParam(name);
        if (v.isEmpty() || v.get().isEmpty()) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(v.get());
            if (n < min || n > max) {
                throw ServiceException.badRequest(name + " must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ServiceException.badRequest(name + " must be an integer");
        }
    }

    public String header(String name) {
        return headers.get(name);
    }

    public String contentType() {
        String ct = headers.get("content-type");
        return ct == null ? "" : ct.toLowerCase(Locale.ROOT);
    }

    public boolean isJson() {
        String ct = contentType();
        return ct.startsWith("application/json") || (ct.startsWith("application/") && ct.contains("+json"));
    }

    public boolean isForm() {
        return contentType().startsWith("application/x-www-form-urlencoded");
    }

    /** The body bound to a record or class; malformed JSON, wrong types and unknown fields are a 400 naming the field. */
    public <T> T json(Class<T> type) {
        if (body.length == 0) {
            throw ServiceException.badRequest("request body is empty; expected a JSON object");
        }
        try {
            T value = Json.MAPPER.readValue(body, type);
            if (value == null) {
                throw ServiceException.badRequest("request body must be a JSON object, not null");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ServiceException.badRequest("unknown field '" + e.getPropertyName() + "'");
        } catch (InvalidFormatException e) {
            throw ServiceException.badRequest("field '" + field(e) + "' has the wrong type or format");
        } catch (MismatchedInputException e) {
            String f = field(e);
            throw ServiceException.badRequest(f.isEmpty()
                    ? "request body has the wrong shape; expected a JSON object"
                    : "field '" + f + "' is missing or has the wrong type");
        } catch (JsonProcessingException e) {
            throw ServiceException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            // record constructors validate their fields and say what is wrong
            throw ServiceException.badRequest(e.getMessage());
        } catch (IOException e) {
            throw ServiceException.badRequest("unreadable request body");
        }
    }

    /** The body as a JSON tree; must be an object. */
    public JsonNode jsonObject() {
        if (body.length == 0) {
            throw ServiceException.badRequest("request body is empty; expected a JSON object");
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            if (node == null || !node.isObject()) {
                throw ServiceException.badRequest("request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ServiceException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ServiceException.badRequest("unreadable request body");
        }
    }

    /** The body as an {@code application/x-www-form-urlencoded} form. */
    public Map<String, List<String>> form() {
        return parseForm(new String(body, StandardCharsets.UTF_8));
    }

    public static Map<String, List<String>> parseForm(String encoded) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return out;
        }
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.computeIfAbsent(k, x -> new ArrayList<>(1)).add(v);
            } catch (IllegalArgumentException e) {
                throw ServiceException.badRequest("malformed form encoding");
            }
        }
        return out;
    }

    private static String field(MismatchedInputException e) {
        StringBuilder sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }
}
