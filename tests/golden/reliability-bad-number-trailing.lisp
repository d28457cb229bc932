(prn 10_)
