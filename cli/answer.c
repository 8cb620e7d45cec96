/* answer: a Response's body, named and checked from the generated
 * descriptor (answer.h says why). */
#include "answer.h"

#include <stdio.h>

/* The descriptor of body's field, or NULL when body names none of the
 * oneof's members. */
static const ProtobufCFieldDescriptor *
answer_field(Rota__Response__BodyCase body)
{
	if (body == ROTA__RESPONSE__BODY__NOT_SET)
		return NULL;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&rota__response__descriptor, (unsigned)body);
	if (f == NULL || f->quantifier_offset != offsetof(Rota__Response, body_case) ||
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return f;
}

void
answer_name(Rota__Response__BodyCase body, char *buf, size_t len)
{
	const ProtobufCFieldDescriptor *f = answer_field(body);
	if (body == ROTA__RESPONSE__BODY__NOT_SET)
		snprintf(buf, len, "empty");
	else if (f == NULL)
		snprintf(buf, len, "unknown (%d)", (int)body);
	else
		snprintf(buf, len, "%s", f->name);
	for (char *c = buf; *c; c++)
		if (*c == '_')
			*c = ' ';
}

bool
answer_present(const Rota__Response *resp)
{
	const ProtobufCFieldDescriptor *f = answer_field(resp->body_case);
	if (f == NULL)
		return false;
	const void *body = *(const void *const *)((const char *)resp + f->offset);
	return body != NULL;
}
