int coord_placeholder;
