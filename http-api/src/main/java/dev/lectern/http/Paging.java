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
}
