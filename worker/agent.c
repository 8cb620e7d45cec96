/* placeholder until the agent lands */
int agent_placeholder;
