Cookie: _gitlab_session=; path=/
Cookie: _gitlab_session=<session-id>
the cookie is named _gitlab_session and is HttpOnly
Cookie: _gitlab_session=5349ec7d480f5641669a
