package dev.lectern.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ?page=1&page_size=20} (1-based, at most 100 a page) and the envelope of a paged list. */
public record Paging(int page, int pageSize) {
    public static final int MAX_PAGE_SIZE = 100;

    public static Paging of(ApiRequest request) {
        return new Paging(request.queryInt("page", 1, 1, 1_000_000),
                request.queryInt("page_size", 20, 1, MAX_PAGE_SIZE));
    }

    public int offset() {
        return (page - 1) * pageSize;
    }

    /** {@code {<name>: items, total, page, page_size}}. */
    public Map<String, Object> envelope(String name, List<?> items, long total) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(name, items);
        body.put("total", total);
        body.put("page", page);
        body.put("page_size", pageSize);
        return body;
    }

    /**
     * For a list route whose documented answer is the whole list: the page the client asked for with {@code page}
     * or {@code page_size}, or {@code null} for all of it (the default, as the seed returns).
     */
    public static Paging ifAsked(ApiRequest request) {
        boolean asked = request.queryParam("page").filter(v -> !v.isEmpty()).isPresent()
                || request.queryParam("page_size").filter(v -> !v.isEmpty()).isPresent();
        return asked ? of(request) : null;
    }

    /**
     * {@code X-Total-Count: total} and, for a page ({@code paging} not null), a {@code Link} header with the
     * {@code first}, {@code prev}, {@code next} and {@code last} pages of the same path.
     */
    public static ApiResponse withHeaders(ApiResponse response, ApiRequest request, Paging paging, long total) {
        ApiResponse r = response.withHeader("X-Total-Count", Long.toString(total));
        if (paging == null) {
            return r;
        }
        long last = Math.max(1, (total + paging.pageSize() - 1) / paging.pageSize());
        List<String> links = new java.util.ArrayList<>(4);
        links.add(paging.link(request, 1, "first"));
        if (paging.page() > 1) {
            links.add(paging.link(request, Math.min(paging.page() - 1, last), "prev"));
        }
        if (paging.page() < last) {
            links.add(paging.link(request, paging.page() + 1, "next"));
        }
        links.add(paging.link(request, last, "last"));
        return r.withHeader("Link", String.join(", ", links));
    }

    private String link(ApiRequest request, long page, String rel) {
        StringBuilder q = new StringBuilder();
        for (Map.Entry<String, List<String>> e : request.query().entrySet()) {
            if (e.getKey().equals("page") || e.getKey().equals("page_size")) {
                continue;
            }
            for (String v : e.getValue()) {
                q.append(enc(e.getKey())).append('=').append(enc(v)).append('&');
            }
        }
        q.append("page=").append(page).append("&page_size=").append(pageSize);
        return "<" + request.path() + "?" + q + ">; rel=\"" + rel + "\"";
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
