/* Stripped after compilation: no .symtab at all. */
int nosymtab_answer(void) { return 42; }
