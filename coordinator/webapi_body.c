/* webapi_body: the JSON bodies of the API's POST requests, read with json-c
 * (the only file of the API that includes it: see webapi_internal.h). */
#include "webapi_internal.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

bool
webapi_body_parse(webapi_call_t *call)
{
	const char *text = call->req->body;
	size_t len = call->req->len;
	size_t i = 0;
	while (i < len && strchr(" \t\r\n", text[i]) != NULL)
		i++;
	if (i == len) {
		call->body = json_object_new_object();
		return true;
	}
	if (memchr(text, '\0', len) != NULL) {
		webapi_error(call, 400, "bad_request", "body: a NUL byte; send a JSON object");
		return false;
	}
	json_tokener *tok = json_tokener_new(); /* owned */
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t at = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || err != json_tokener_success) {
		webapi_error(call, 400, "bad_request", "body: not JSON at byte %zu: %s", at,
		             json_tokener_error_desc(err));
		json_object_put(o);
		return false;
	}
	if (!json_object_is_type(o, json_type_object)) {
		webapi_error(call, 400, "bad_request", "body: send a JSON object ({...}), not %s",
		             json_type_to_name(json_object_get_type(o)));
		json_object_put(o);
		return false;
	}
	call->body = o;
	return true;
}

void
webapi_body_free(webapi_call_t *call)
{
	if (call->body != NULL)
		json_object_put(call->body);
	call->body = NULL;
}

const char *
webapi_body_string(webapi_call_t *call, const char *name, bool *bad)
{
	json_object *v = NULL;
	if (call->body == NULL || !json_object_object_get_ex(call->body, name, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		webapi_bad_param(call, name, "must be a string, not %s",
		                 json_type_to_name(json_object_get_type(v)));
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
}

bool
webapi_body_bool(webapi_call_t *call, const char *name, bool *out)
{
	json_object *v = NULL;
	*out = false;
	if (call->body == NULL || !json_object_object_get_ex(call->body, name, &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_boolean)) {
		webapi_bad_param(call, name, "must be true or false, not %s",
		                 json_type_to_name(json_object_get_type(v)));
		return false;
	}
	*out = json_object_get_boolean(v);
	return true;
}

const char **
webapi_body_strings(webapi_call_t *call, const char *name, size_t *n, bool *bad)
{
	*n = 0;
	json_object *v = NULL;
	if (call->body == NULL || !json_object_object_get_ex(call->body, name, &v) || v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string)) {
		const char **out = xcalloc(2, sizeof(*out));
		out[0] = json_object_get_string(v);
		*n = 1;
		return out;
	}
	if (!json_object_is_type(v, json_type_array)) {
		webapi_bad_param(call, name, "must be a string or an array of strings");
		*bad = true;
		return NULL;
	}
	size_t len = json_object_array_length(v);
	const char **out = xcalloc(len + 1, sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string)) {
			webapi_bad_param(call, name, "item %zu must be a string", i);
			free(out);
			*bad = true;
			return NULL;
		}
		out[i] = json_object_get_string(e);
	}
	*n = len;
	return out;
}

size_t
webapi_body_pairs(webapi_call_t *call, const char *name, const char ***keys, char ***values,
                  bool *bad)
{
	*keys = NULL;
	*values = NULL;
	json_object *v = NULL;
	if (call->body == NULL || !json_object_object_get_ex(call->body, name, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		webapi_bad_param(call, name, "must be an object of name: value");
		*bad = true;
		return 0;
	}
	size_t len = (size_t)json_object_object_length(v), n = 0;
	*keys = xcalloc(len + 1, sizeof(**keys));
	*values = xcalloc(len + 1, sizeof(**values));
	json_object_object_foreach(v, key, val)
	{
		json_type t = json_object_get_type(val);
		if (t != json_type_string && t != json_type_int && t != json_type_double &&
		    t != json_type_boolean) {
			webapi_bad_param(call, name,
			                 "\"%.60s\" must be a string, a number or a boolean", key);
			for (size_t i = 0; i < n; i++)
				free((*values)[i]);
			free(*keys);
			free(*values);
			*keys = NULL;
			*values = NULL;
			*bad = true;
			return 0;
		}
		(*keys)[n] = key;
		(*values)[n] = xstrdup(json_object_get_string(val));
		n++;
	}
	return n;
}
