package main

// The building blocks of the config commands. Each change marks the
// session dirty, as every bin/aemp config command does with
// ++$cfg->{dirty}, even when the value did not change.

// setValue stores v under key in the current section.
func (s *session) setValue(key string, v any) error {
	if err := s.cur.Set(key, v); err != nil {
		return usageErr("%v", err)
	}
	s.dirty = true
	return nil
}

// setRawCmd is aemp's plain setter: the next word is stored as it is,
// a string from the command line or any JSON value given as JSON.
func setRawCmd(name, key, args, usage, category, missing string) *command {
	return &command{name: name, args: args, usage: usage, category: category,
		chain: func(s *session) error {
			v, err := s.need(missing)
			if err != nil {
				return err
			}
			return s.setValue(key, v)
		}}
}

// delCmd removes key from the current section, so that it is inherited
// again from the parent profile or the top level.
func delCmd(name, key, usage, category string) *command {
	return &command{name: name, usage: usage, category: category,
		chain: func(s *session) error {
			s.cur.Delete(key)
			s.dirty = true
			return nil
		}}
}
