from rest_framework.pagination import CursorPagination


class StandardCursorPagination(CursorPagination):
    """Keyset paging: page 1,000 costs what page 1 costs, and no COUNT(*) over a whole store."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
