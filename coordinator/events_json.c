/* events_json: an event as the JSON object Server-Sent Events carry in
 * their data line (docs/http-api.md, "Events"). The names are the CLI's
 * --json names; times are ms since the epoch. */
#include "events.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *
events_kind_name(Rota__Event__BodyCase body)
{
	switch (body) {
	case ROTA__EVENT__BODY_OUTPUT:
		return "output";
	case ROTA__EVENT__BODY_STEP:
		return "step";
	case ROTA__EVENT__BODY_RUN:
		return "run";
	case ROTA__EVENT__BODY_RESYNC:
		return "resync";
	case ROTA__EVENT__BODY_WORKER:
		return "worker";
	case ROTA__EVENT__BODY_INCIDENT:
		return "incident";
	default:
		return "none";
	}
}

static const char *
events_enum_name(const ProtobufCEnumDescriptor *d, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	return v != NULL ? v->name : "";
}

static void
events_put_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value != NULL ? value : ""));
}

static json_object *
events_object(const Rota__Event *ev)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "cursor", json_object_new_uint64(ev->cursor));
	json_object_object_add(o, "kind", json_object_new_string(events_kind_name(ev->body_case)));
	json_object_object_add(o, "at_ms", json_object_new_int64(ev->at_ms));
	if (ev->run_id != NULL && ev->run_id[0] != '\0')
		events_put_str(o, "run_id", ev->run_id);
	switch (ev->body_case) {
	case ROTA__EVENT__BODY_OUTPUT: {
		const Rota__OutputChunk *c = ev->output;
		events_put_str(o, "host", c->host);
		events_put_str(o, "step_id", c->step_id);
		json_object_object_add(o, "attempt", json_object_new_int64(c->attempt));
		events_put_str(o, "stream",
		               c->stream == ROTA__STREAM__STREAM_STDERR   ? "stderr"
		               : c->stream == ROTA__STREAM__STREAM_SYSTEM ? "system"
		                                                          : "stdout");
		json_object_object_add(
		    o, "data",
		    json_object_new_string_len((const char *)c->data.data, (int)c->data.len));
		break;
	}
	case ROTA__EVENT__BODY_STEP: {
		const Rota__StepRunInfo *s = ev->step;
		events_put_str(o, "host", s->host);
		events_put_str(o, "step_id", s->step_id);
		json_object_object_add(o, "attempt", json_object_new_int64(s->attempt));
		events_put_str(o, "status",
		               events_enum_name(&rota__step_status__descriptor, s->status));
		json_object_object_add(o, "exit_code", json_object_new_int(s->exit_code));
		break;
	}
	case ROTA__EVENT__BODY_RUN:
		events_put_str(o, "status",
		               events_enum_name(&rota__run_status__descriptor, ev->run->status));
		json_object_object_add(o, "over",
		                       json_object_new_boolean(events_run_over(ev->run->status)));
		break;
	case ROTA__EVENT__BODY_WORKER:
		events_put_str(o, "worker", ev->worker->id);
		events_put_str(o, "state", ev->worker->state);
		break;
	case ROTA__EVENT__BODY_INCIDENT:
		events_put_str(o, "incident", ev->incident->id);
		events_put_str(o, "status", ev->incident->status);
		events_put_str(o, "title", ev->incident->title);
		json_object_object_add(o, "severity",
		                       json_object_new_int64(ev->incident->severity));
		break;
	default:
		break;
	}
	return o;
}

char *
events_json(const Rota__Event *ev)
{
	json_object *o = events_object(ev);
	char *text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

sharedbuf_t *
events_frame(const Rota__Event *ev)
{
	json_object *o = events_object(ev);
	size_t json_len = 0;
	const char *json = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &json_len);
	char head[64];
	int n = snprintf(head, sizeof(head), "id: %" PRIu64 "\nevent: %s\ndata: ", ev->cursor,
	                 events_kind_name(ev->body_case));
	/* Built in place: the frame is the one copy of the text. */
	sharedbuf_t *b = sharedbuf_alloc((size_t)n + json_len + 2);
	memcpy(b->data, head, (size_t)n);
	memcpy(b->data + n, json, json_len);
	memcpy(b->data + n + json_len, "\n\n", 2);
	json_object_put(o);
	return b;
}
